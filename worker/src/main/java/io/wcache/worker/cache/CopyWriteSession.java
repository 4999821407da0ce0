package io.wcache.worker.cache;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.schema.catalog.AbortResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * This worker's copy of a version another worker writes with {@code writeReplicas > 1}: the bytes
 * the writing worker streams here go to the log through a copy {@link SegmentWriter} (pinned like
 * the version's own, in records of {@link #RECORD} bytes, at most {@link InFlightRecords#LIMIT} on
 * their way), recorded in the Catalog under the copy's own file id. {@link #seal} completes once
 * every byte is durable here (fsynced and recorded): only then may the writing worker commit the
 * version listing this copy. {@link #abort} drops the copy unless the version was committed with it.
 */
public final class CopyWriteSession {

    /** Bytes per log record of a copy, as a write session's. */
    static final int RECORD = 1 << 20;

    private final SegmentWriter writer;
    private final ReaderPins pins;
    // Guarded by this.
    private ByteBuffer staging;
    private long written;
    private boolean done;
    private final InFlightRecords inFlight = new InFlightRecords();

    CopyWriteSession(SegmentWriter writer, ReaderPins pins) {
        this.writer = writer;
        this.pins = pins;
    }

    public NamespacePath path() {
        return writer.path();
    }

    /** The file id this copy's extents are recorded under. */
    public long copyFileId() {
        return writer.fileId();
    }

    public synchronized long written() {
        return written;
    }

    /** Copies {@code chunk}; completes when the caller may send more (the copy's records keep up). */
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (done) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                    "the replica copy is sealed or aborted; no more appends"));
        }
        if (writer.failure() != null) {
            return CompletableFuture.failedFuture(writer.failure());
        }
        ByteBuffer in = chunk.duplicate();
        written += in.remaining();
        try {
            while (in.hasRemaining()) {
                if (staging == null) {
                    staging = ByteBuffer.allocate(RECORD);
                }
                int n = Math.min(in.remaining(), staging.remaining());
                ByteBuffer piece = in.duplicate();
                piece.limit(piece.position() + n);
                staging.put(piece);
                in.position(in.position() + n);
                if (!staging.hasRemaining()) {
                    inFlight.add(writer.append(staging.flip()));
                    staging = null;
                }
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return inFlight.admission();
    }

    /**
     * Completes with the copy's file id once all {@code size} bytes (which must be what was
     * appended) are durable here and recorded in the Catalog.
     */
    public CompletableFuture<Long> seal(long size) {
        List<CompletableFuture<?>> all;
        synchronized (this) {
            if (done) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "the replica copy is already sealed or aborted"));
            }
            if (size != written) {
                return CompletableFuture.failedFuture(new WcacheException.InvalidArgument(path().toString(),
                        "the replica copy received " + written + " bytes, not " + size));
            }
            done = true;
            all = new ArrayList<>(inFlight.pending());
            ByteBuffer last = staging == null ? null : staging.flip();
            staging = null;
            try {
                all.add(writer.flush(last));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> copyFileId());
    }

    /**
     * Drops the copy (its write was aborted, or the writing worker went away), unless the version
     * was committed with it; its bytes are released once no reader holds them.
     */
    public CompletableFuture<Void> abort() {
        synchronized (this) {
            done = true;
            staging = null;
        }
        return writer.abort().handle((AbortResult r, Throwable e) -> {
            if (r != null) {
                pins.retire(copyFileId(), r.extents());
            }
            return null;
        });
    }
}
