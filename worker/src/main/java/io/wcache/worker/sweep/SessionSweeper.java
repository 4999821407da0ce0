package io.wcache.worker.sweep;

import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.core.error.WcacheException;
import io.wcache.worker.cache.ReaderPins;
import java.time.Clock;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.MultipartUploadInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts write sessions that will never commit and reclaims their space: dangling ones (no
 * write for {@code worker.mark.writing.files.duration}) and orphans (opened more than
 * {@code write.cache.async.check.orphan.timeout} ago). Multipart uploads with no activity (creation
 * or an acknowledged part) for the orphan timeout are orphans too: they are aborted and their
 * parts' pinned space returned. Records of completed uploads, kept to answer a retried
 * completion, are forgotten after the same timeout. Runs every
 * {@code write.cache.async.file.check.period}, and on demand ({@link #sweepNow()}). A session
 * this worker is uploading ({@link UploadingSessions}) is busy, never dangling, and is skipped.
 */
public final class SessionSweeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionSweeper.class);
    private static final int BATCH = 1000;

    /** What one sweep did. */
    public record SweepResult(int dangling, int orphans, long bytesReclaimed, int abandonedUploads) {
    }

    private final Catalog catalog;
    private final ReaderPins pins;
    private final Duration dangling;
    private final Duration orphan;
    private final Clock clock;
    private final UploadingSessions uploading;
    private ScheduledExecutorService timer;
    // Totals since start, for /metrics.
    private final java.util.concurrent.atomic.AtomicLong sweeps = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong danglingAborted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong orphansAborted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong bytesReclaimed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong uploadsAborted = new java.util.concurrent.atomic.AtomicLong();

    public SessionSweeper(Catalog catalog, ReaderPins pins, Duration dangling, Duration orphan, Clock clock) {
        this(catalog, pins, dangling, orphan, clock, null);
    }

    public SessionSweeper(Catalog catalog, ReaderPins pins, Duration dangling, Duration orphan, Clock clock,
                          UploadingSessions uploading) {
        this.uploading = uploading;
        this.catalog = catalog;
        this.pins = pins;
        this.dangling = dangling;
        this.orphan = orphan;
        this.clock = clock;
    }

    public synchronized void start(Duration period) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wcache-session-sweep");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                sweepNow();
            } catch (RuntimeException e) {
                LOG.warn("event=sweep_failed error={}", e.toString());
            }
        }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Aborts every dangling and orphaned session now. */
    public SweepResult sweepNow() {
        var now = clock.instant();
        Map<Long, FileVersion> orphans = new LinkedHashMap<>();
        for (FileVersion v : catalog.files().sessionsCreatedBefore(now.minus(orphan), BATCH)) {
            orphans.put(v.fileId(), v);
        }
        Map<Long, FileVersion> idle = new LinkedHashMap<>();
        for (FileVersion v : catalog.files().idleSessions(now.minus(dangling), BATCH)) {
            if (!orphans.containsKey(v.fileId())) {
                idle.put(v.fileId(), v);
            }
        }
        long bytes = abortAll(orphans) + abortAll(idle);
        long[] uploads = abandonUploads(now.minus(orphan));
        bytes += uploads[1];
        int forgotten = catalog.multipart().forgetCompletedUploads(now.minus(orphan), BATCH);
        if (!orphans.isEmpty() || !idle.isEmpty() || uploads[0] > 0) {
            LOG.info("event=sessions_swept dangling={} orphans={} abandoned_uploads={} bytes_reclaimed={}", idle.size(),
                    orphans.size(), uploads[0], bytes);
        }
        if (forgotten > 0) {
            LOG.debug("event=completed_uploads_forgotten count={}", forgotten);
        }
        sweeps.incrementAndGet();
        danglingAborted.addAndGet(idle.size());
        orphansAborted.addAndGet(orphans.size());
        uploadsAborted.addAndGet(uploads[0]);
        bytesReclaimed.addAndGet(bytes);
        return new SweepResult(idle.size(), orphans.size(), bytes, (int) uploads[0]);
    }

    /**
     * Aborts the multipart uploads with no activity since {@code before} (each checked again in the
     * abort's own transaction, so a part recorded meanwhile keeps its upload); returns
     * {count, bytes reclaimed}.
     */
    public long[] abandonUploads(Instant before) {
        long count = 0;
        long bytes = 0;
        for (MultipartUploadInfo u : catalog.multipart().uploadsIdleSince(before, BATCH)) {
            Optional<List<Extent>> freed = catalog.multipart().abortUploadIfIdleSince(u.uploadId(), before);
            if (freed.isEmpty()) {
                continue;
            }
            // Parts have distinct file ids: each one's extents are retired under its own id.
            Map<Long, List<Extent>> byFile = new LinkedHashMap<>();
            for (Extent e : freed.get()) {
                byFile.computeIfAbsent(e.fileId(), k -> new ArrayList<>()).add(e);
                bytes += e.length();
            }
            byFile.forEach(pins::retire);
            count++;
            LOG.info("event=upload_abandoned upload={} path={} parts_bytes={}", u.uploadId(), u.path(),
                    freed.get().stream().mapToLong(Extent::length).sum());
        }
        return new long[] {count, bytes};
    }

    private long abortAll(Map<Long, FileVersion> sessions) {
        long[] bytes = new long[1];
        for (java.util.Iterator<FileVersion> it = sessions.values().iterator(); it.hasNext(); ) {
            FileVersion v = it.next();
            Runnable abort = () -> {
                try {
                    AbortResult r = catalog.files().abort(v.ref());
                    pins.retire(v.fileId(), r.extents());
                    for (var e : r.extents()) {
                        bytes[0] += e.length();
                    }
                } catch (WcacheException.NotFound | WcacheException.Conflict e) {
                    // committed or aborted meanwhile
                }
            };
            if (uploading == null) {
                abort.run();
            } else if (!uploading.abortUnlessUploading(v.fileId(), abort)) {
                it.remove(); // busy uploading: not dangling, not counted
            }
        }
        return bytes[0];
    }

    /** Every sweep since start added up: {@code dangling}, {@code orphans} and bytes reclaimed. */
    public SweepResult totals() {
        return new SweepResult((int) danglingAborted.get(), (int) orphansAborted.get(), bytesReclaimed.get(),
                (int) uploadsAborted.get());
    }

    /** Sweeps run since start. */
    public long sweeps() {
        return sweeps.get();
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
