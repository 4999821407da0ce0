package io.wcache.worker.cache;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.PathStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-through caching: copies a UFS object into the log store as evictable records, through a
 * {@link SegmentWriter} like any write, and commits it as a {@code PERSISTED} version, unless the
 * path gained a version or a tombstone meanwhile (checked under the path's lock, so a load never
 * overwrites a newer write).
 */
final class ReadThroughLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ReadThroughLoader.class);

    private final WorkerCacheService svc;
    private final Catalog catalog;
    private final WritePipeline pipeline;
    /** Paths whose {@link #loadBehind} is queued or running. */
    private final ConcurrentHashMap<NamespacePath, Boolean> loadingBehind = new ConcurrentHashMap<>();

    ReadThroughLoader(WorkerCacheService svc, Catalog catalog, WritePipeline pipeline) {
        this.svc = svc;
        this.catalog = catalog;
        this.pipeline = pipeline;
    }

    /**
     * Loads {@code head} of {@code u} as the path's version. True when the path has a version
     * now (this one or another's, the caller looks again); false when the load failed.
     */
    boolean load(NamespacePath path, UfsObject head, UnderFileSystem u) {
        try (InputStream in = u.get(head.key(), 0, head.size())) {
            return load(path, head, in);
        } catch (IOException | RuntimeException e) {
            LOG.debug("event=read_through_failed path={} error={}", path, e.toString());
            return false;
        }
    }

    /**
     * Loads {@code body}, the whole of {@code head} already fetched by a read that answered from it,
     * on {@code executor}, unless a load of the path is already under way. Best effort: a failed or
     * refused load leaves the path uncached, and the next read fetches it again.
     */
    void loadBehind(NamespacePath path, UfsObject head, byte[] body, Executor executor) {
        if (loadingBehind.putIfAbsent(path, Boolean.TRUE) != null) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    load(path, head, new ByteArrayInputStream(body));
                } finally {
                    loadingBehind.remove(path);
                }
            });
        } catch (RejectedExecutionException e) {
            loadingBehind.remove(path); // shutting down
        }
    }

    /** How many loads behind reads are queued or running. */
    int loadsBehind() {
        return loadingBehind.size();
    }

    /**
     * Loads {@code head} from {@code in}, its body from the first byte (not closed here). True when
     * the path has a version now; false when the load failed.
     */
    boolean load(NamespacePath path, UfsObject head, InputStream in) {
        // Evictable data: a WRITE_THROUGH writer reserves no pinned space.
        SegmentWriter writer = pipeline.openWriter(new BeginRequest(path, WritePolicy.WRITE_THROUGH, 1, svc.workerId(),
                List.of(), head.contentType(), head.userMetadata(), head.standardHeaders()));
        long crc;
        try {
            crc = copy(head, in, writer);
        } catch (IOException | RuntimeException e) {
            LOG.debug("event=read_through_failed path={} error={}", path, e.toString());
            abortQuietly(writer);
            return false;
        }
        return commitUnlessCached(path, head, writer, crc);
    }

    /** Appends the UFS object's bytes as records and waits until they are in the log; their CRC32C. */
    private static long copy(UfsObject head, InputStream in, SegmentWriter writer) throws IOException {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long offset = 0;
        CRC32C crc = new CRC32C();
        while (offset < head.size()) {
            byte[] buf = in.readNBytes((int) Math.min(RecordStager.RECORD, head.size() - offset));
            if (buf.length == 0) {
                throw new IOException("UFS object ended early at " + offset);
            }
            crc.update(buf);
            pending.add(writer.append(ByteBuffer.wrap(buf)));
            offset += buf.length;
        }
        pending.add(writer.flush(null));
        for (CompletableFuture<?> f : pending) {
            f.join();
        }
        return crc.getValue();
    }

    private boolean commitUnlessCached(NamespacePath path, UfsObject head, SegmentWriter writer, long crc) {
        PathLocks.Mutex lock = svc.locks().of(path);
        lock.acquire().join();
        try {
            if (!(catalog.files().status(path) instanceof PathStatus.NotCached)) {
                abortQuietly(writer);
                return true; // someone else installed a version; the caller looks again
            }
            CommitResult r = writer.commit(new CommitRequest(head.size(), head.etag(), crc)).join();
            svc.onCommitted(r);
            LOG.debug("event=read_through_loaded path={} bytes={}", path, head.size());
            return true;
        } catch (RuntimeException e) {
            abortQuietly(writer);
            return false;
        } finally {
            lock.release();
        }
    }

    private void abortQuietly(SegmentWriter writer) {
        try {
            writer.abort().thenAccept(r -> {
                if (r != null) {
                    svc.pins().retire(writer.fileId(), r.extents());
                }
            }).exceptionally(e -> null);
        } catch (RuntimeException e) {
            LOG.debug("event=abort_failed session={} error={}", writer.session(), e.toString());
        }
    }
}
