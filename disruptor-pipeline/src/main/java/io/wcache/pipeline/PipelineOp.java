package io.wcache.pipeline;

import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.schema.catalog.CommitRequest;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One request published to the ring. Several can be published together
 * ({@link WritePipeline#publish}) so that a small write's begin, append and commit land in one
 * batch: one log sync and one Catalog transaction.
 */
public sealed interface PipelineOp {

    /** Opens the session in the Catalog; completes with its {@code FileVersion}. */
    record Begin(PipelineSession session) implements PipelineOp {
    }

    /**
     * Appends {@code payload}'s remaining bytes at {@code offset} of the session's file; completes with
     * the {@code Extent}. The payload stays the caller's and must not change until the future completes.
     * {@code reservation} is the pinned space the bytes consume, or null for evictable data;
     * {@code crc32c} is the CRC32C of the payload. With {@code syncAtCommit} the record's batch is
     * not synced for it: the future completes once the record is written and recorded in the
     * Catalog, and the record becomes durable with the next sync, which the session's commit (or
     * any later append without it) forces before it completes.
     */
    record Append(PipelineSession session, long offset, ByteBuffer payload, PinnedReservation reservation,
                  long crc32c, boolean syncAtCommit) implements PipelineOp {
        public Append {
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(payload, "payload");
        }

        /** An append that is durable when its future completes. */
        public Append(PipelineSession session, long offset, ByteBuffer payload, PinnedReservation reservation,
                      long crc32c) {
            this(session, offset, payload, reservation, crc32c, false);
        }
    }

    /** Commits the session; completes with the {@code CommitResult}. */
    record Commit(PipelineSession session, CommitRequest request) implements PipelineOp {
    }

    /** Aborts the session; completes with the {@code AbortResult}. Runs even for a poisoned session. */
    record Abort(PipelineSession session) implements PipelineOp {
    }

    /** Deletes a path; completes with the {@code DeleteResult}. */
    record Delete(NamespacePath path) implements PipelineOp {
    }
}
