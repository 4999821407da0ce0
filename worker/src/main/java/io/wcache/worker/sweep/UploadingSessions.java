package io.wcache.worker.sweep;

import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.SessionRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Write sessions of this worker that are uploading to the UFS before their commit
 * ({@code WRITE_THROUGH}): no byte is appended meanwhile, yet the session is busy, not dangling.
 * This worker's sweep skips them ({@link #mark} and the sweep's abort exclude each other), and
 * their last-write time is moved every quarter of the dangling timeout while they upload, so
 * the sweep of any other worker sharing the Catalog sees them active too.
 */
public final class UploadingSessions implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UploadingSessions.class);

    private final Catalog catalog;
    private final Map<Long, SessionRef> uploading = new ConcurrentHashMap<>();
    private final ScheduledExecutorService heartbeat;

    public UploadingSessions(Catalog catalog, Duration danglingTimeout) {
        this.catalog = catalog;
        long period = Math.max(50, Math.min(danglingTimeout.toMillis() / 4, 30_000));
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wcache-upload-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleWithFixedDelay(this::touchAll, period, period, TimeUnit.MILLISECONDS);
    }

    /** A session marked busy; closing it ends the mark. */
    public interface Mark extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Marks {@code session} as uploading and moves its last-write time now. Throws the Catalog's
     * {@code NotFound} when the session was already swept (nothing was uploaded yet).
     */
    public Mark mark(SessionRef session) {
        synchronized (this) {
            uploading.put(session.fileId(), session);
        }
        try {
            catalog.files().addExtents(session, List.of());
        } catch (RuntimeException e) {
            uploading.remove(session.fileId());
            throw e;
        }
        return () -> uploading.remove(session.fileId());
    }

    /**
     * Runs {@code abort} unless {@code fileId} is uploading; false when skipped. Holds the same
     * lock as {@link #mark}, so a session cannot start uploading between the check and the abort.
     */
    synchronized boolean abortUnlessUploading(long fileId, Runnable abort) {
        if (uploading.containsKey(fileId)) {
            return false;
        }
        abort.run();
        return true;
    }

    public boolean isUploading(long fileId) {
        return uploading.containsKey(fileId);
    }

    private void touchAll() {
        for (SessionRef s : uploading.values()) {
            try {
                catalog.files().addExtents(s, List.of());
            } catch (RuntimeException e) {
                LOG.debug("event=upload_heartbeat_failed session={} error={}", s, e.toString());
            }
        }
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
    }
}
