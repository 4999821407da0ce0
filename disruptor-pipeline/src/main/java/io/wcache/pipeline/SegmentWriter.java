package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PartResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one route by which bytes enter the segment logs: a write's whole life, from the session
 * opened in the Catalog to its commit or abort. A caller hands over records (bytes) and, at the
 * end, the commit's size, ETag, CRC and condition; the writer builds the pipeline's ops itself:
 * BEGIN with the first record (or with the commit when nothing was appended), each record's APPEND
 * at the next offset with its CRC32C and, for a policy that pins data, pinned space reserved for it
 * and given back when the append completes, then COMMIT or ABORT. The worker's object writes, its
 * multipart parts ({@link WritePipeline#openPartWriter}) and its read-through loads all write
 * through one; none of them builds an op or calls the log store.
 *
 * <p>A record and the commit handed over together ({@link #commit(ByteBuffer, CommitRequest)})
 * are published into consecutive ring slots, so a small object's BEGIN, APPEND and COMMIT land
 * in one batch: one log sync, one Catalog transaction.
 *
 * <p>A writer set to {@link #syncAtCommit()} does not sync its records one batch at a time: an
 * append completes once the record is written and in the Catalog, and the commit (or a
 * {@link #flush}) makes all of them durable with one sync. Nothing is acknowledged before the
 * commit, so a crash before it loses only a session that restart recovery aborts anyway.
 *
 * <p>Threading: its methods are synchronized; a caller publishes records in order. A record's
 * payload stays the caller's until the record's future completes.
 */
public final class SegmentWriter {

    private final WritePipeline pipeline;
    private final PipelineSession session;
    // Guarded by this.
    private boolean begun;
    private long published;
    private boolean syncAtCommit;

    SegmentWriter(WritePipeline pipeline, PipelineSession session) {
        this.pipeline = pipeline;
        this.session = session;
    }

    /** The pipeline's session of this write (its file id, path, extents and failure). */
    public PipelineSession session() {
        return session;
    }

    public NamespacePath path() {
        return session.path();
    }

    public WritePolicy policy() {
        return session.request().policy();
    }

    public long fileId() {
        return session.fileId();
    }

    /** The error that poisoned the write, or null. */
    public WcacheException failure() {
        return session.failure();
    }

    /** The extents written so far (see {@link PipelineSession#extents}). */
    public List<Extent> extents() {
        return session.extents();
    }

    /**
     * From now on the records appended are made durable by the commit's sync (or a flush's) rather
     * than each by its own batch's: {@link #append} then completes without waiting for a sync.
     * Returns this writer.
     */
    public synchronized SegmentWriter syncAtCommit() {
        this.syncAtCommit = true;
        session.syncsAtCommit = true;
        return this;
    }

    /** Whether anything of this write was published (so an abort has something to undo). */
    public synchronized boolean begun() {
        return begun;
    }

    /**
     * Publishes {@code record} as the write's next extent (opening the session with it the first
     * time); completes with the {@link Extent} once it is recorded in the Catalog and durable (with
     * {@link #syncAtCommit()}: written, made durable by the commit).
     *
     * @throws WcacheException.OutOfSpace when pinned space for it is refused (nothing is published)
     */
    public synchronized CompletableFuture<Extent> append(ByteBuffer record) {
        List<CompletableFuture<Object>> f = publish(record, null, syncAtCommit);
        return f.get(f.size() - 1).thenApply(Extent.class::cast);
    }

    /**
     * Publishes {@code last} (if not null) as the next extent without committing, for a write whose
     * data must be in before it commits (a {@code WRITE_THROUGH} upload reads it back from the log);
     * completes when it (and the session's opening) is durable.
     */
    public synchronized CompletableFuture<Void> flush(ByteBuffer last) {
        List<CompletableFuture<Object>> f = publish(last, null, false);
        return CompletableFuture.allOf(f.toArray(CompletableFuture[]::new));
    }

    /**
     * Publishes {@code last} (if not null) and the commit together; completes with the
     * {@link CommitResult} once the data is fsynced and the version committed in the Catalog.
     */
    public synchronized CompletableFuture<CommitResult> commit(ByteBuffer last, CommitRequest request) {
        requireObject();
        if (session.isCopy()) {
            throw new IllegalStateException(session + " is a copy session: it is flushed, never committed");
        }
        List<CompletableFuture<Object>> f = publish(last, new PipelineOp.Commit(session, request), syncAtCommit);
        return f.get(f.size() - 1).thenApply(CommitResult.class::cast);
    }

    /** Commits what was published (after {@link #flush}). */
    public CompletableFuture<CommitResult> commit(CommitRequest request) {
        return commit(null, request);
    }

    /**
     * For a part writer: publishes {@code last} (if not null) and records the part; completes with
     * the {@link PartResult} (the extents of a replaced copy, for release).
     */
    public synchronized CompletableFuture<PartResult> commitPart(ByteBuffer last, CommitRequest request) {
        requirePart();
        List<CompletableFuture<Object>> f = publish(last, new PipelineOp.Commit(session, request), false);
        return f.get(f.size() - 1).thenApply(PartResult.class::cast);
    }

    /**
     * Aborts the write; completes with the {@link AbortResult} (the extents to release), or with
     * null when nothing was published.
     */
    public CompletableFuture<AbortResult> abort() {
        requireObject();
        synchronized (this) {
            if (!begun) {
                return CompletableFuture.completedFuture(null);
            }
        }
        return pipeline.abort(session);
    }

    /** For a part writer: drops the unacknowledged copy; completes with its extents, or null when nothing was published. */
    public CompletableFuture<PartResult> abortPart() {
        requirePart();
        synchronized (this) {
            if (!begun) {
                return CompletableFuture.completedFuture(null);
            }
        }
        return pipeline.abortPart(session);
    }

    /**
     * Publishes BEGIN (first time), {@code body} as the next record (if not null) and {@code extra}
     * (if not null), together; {@code deferSync}: the record is made durable by a later sync (the
     * commit's). Returns the futures of all published ops. Caller holds the lock.
     */
    private List<CompletableFuture<Object>> publish(ByteBuffer body, PipelineOp extra, boolean deferSync) {
        List<PipelineOp> ops = new ArrayList<>(3);
        if (!begun) {
            ops.add(new PipelineOp.Begin(session));
        }
        PinnedReservation reservation = null;
        int appendIndex = -1;
        if (body != null) {
            if (policy().pinsData()) {
                reservation = pipeline.journal().reservePinned(body.remaining());
            }
            appendIndex = ops.size();
            ops.add(new PipelineOp.Append(session, published, body, reservation, WritePipeline.crc32c(body), deferSync));
        }
        if (extra != null) {
            ops.add(extra);
        }
        if (ops.isEmpty()) {
            return List.of(CompletableFuture.completedFuture(null));
        }
        List<CompletableFuture<Object>> futures;
        try {
            futures = pipeline.publish(ops);
        } catch (RuntimeException e) {
            if (reservation != null) {
                reservation.close();
            }
            throw e;
        }
        begun = true;
        if (body != null) {
            published += body.remaining();
        }
        if (reservation != null) {
            PinnedReservation r = reservation;
            futures.get(appendIndex).whenComplete((v, e) -> r.close());
        }
        return futures;
    }

    private void requireObject() {
        if (session.isPart()) {
            throw new IllegalStateException(session + " is a part session");
        }
    }

    private void requirePart() {
        if (!session.isPart()) {
            throw new IllegalStateException(session + " is not a part session");
        }
    }
}
