package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.pipeline.PipelineOp;
import io.wcache.pipeline.PipelineSession;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PartResult;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes one part of a multipart upload through the write pipeline, the route every cached byte
 * takes: records of at most {@link RecordStager#RECORD} bytes with pinned space reserved per
 * record, appended and synced by the journal stage (group commit shared with object writes), their
 * extents recorded in the Catalog by the index stage as they land (under the part's own file id, so
 * a relocation of its records finds them, and the log store may move them from then on). The
 * commit publishes the last record and the part's commit together: the Catalog records the part, replacing an earlier copy of the same number
 * (the copy that finishes last wins), and the replaced copy's records are released. A part is not
 * a file of the namespace: it takes no path lock and never appears in listings; completing the
 * upload re-points its extents into the final version without copying bytes. An abort (or a
 * failed commit) drops the copy's extents; after a crash, restart recovery drops the extents of a
 * copy that was never recorded as a part.
 */
final class PartWriteSession implements WriteSession {

    private enum State { OPEN, COMMITTING, DONE }

    private final WorkerCacheService svc;
    private final PipelineSession ps;
    // Guarded by this.
    private final RecordStager stager = new RecordStager();
    private State state = State.OPEN;
    private boolean begun;
    private long published;
    private final ArrayDeque<CompletableFuture<Object>> inFlight = new ArrayDeque<>();

    PartWriteSession(WorkerCacheService svc, PipelineSession ps) {
        this.svc = svc;
        this.ps = ps;
    }

    @Override
    public NamespacePath path() {
        return ps.path();
    }

    @Override
    public WritePolicy policy() {
        return ps.request().policy();
    }

    @Override
    public synchronized long written() {
        return stager.written();
    }

    @Override
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (state != State.OPEN) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                    "part session is finished; no more appends"));
        }
        if (ps.failure() != null) {
            return CompletableFuture.failedFuture(ps.failure());
        }
        try {
            stager.append(chunk, record -> {
                List<CompletableFuture<Object>> f = publish(record, List.of());
                inFlight.addLast(f.get(f.size() - 1));
            });
        } catch (RuntimeException e) {
            return failAndAbort(e);
        }
        // As an object write: the caller waits only while more than IN_FLIGHT records are on their way.
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone() && !inFlight.peekFirst().isCompletedExceptionally()) {
            inFlight.removeFirst();
        }
        if (inFlight.size() <= CachedWriteSession.IN_FLIGHT) {
            CompletableFuture<Object> failed = inFlight.stream().filter(CompletableFuture::isCompletedExceptionally)
                    .findFirst().orElse(null);
            return failed == null ? CompletableFuture.completedFuture(null) : failed.thenApply(x -> null);
        }
        return inFlight.peekFirst().thenApply(x -> null);
    }

    /** Completes when every record published so far is durable and its extent recorded (tests). */
    synchronized CompletableFuture<Void> published() {
        return CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
    }

    /** Publishes BEGIN (first time), {@code body} as the next record (if not null) and {@code extra}, together. Caller holds the lock. */
    private List<CompletableFuture<Object>> publish(ByteBuffer body, List<PipelineOp> extra) {
        List<PipelineOp> ops = new ArrayList<>(3);
        if (!begun) {
            ops.add(new PipelineOp.Begin(ps));
        }
        PinnedReservation reservation = null;
        int appendIndex = -1;
        if (body != null) {
            if (policy().pinsData()) {
                reservation = svc.store().reservePinned(body.remaining());
            }
            appendIndex = ops.size();
            ops.add(new PipelineOp.Append(ps, published, body, reservation, WritePipeline.crc32c(body)));
            published += body.remaining();
        }
        ops.addAll(extra);
        if (ops.isEmpty()) {
            return List.of(CompletableFuture.completedFuture(null));
        }
        List<CompletableFuture<Object>> futures;
        try {
            futures = svc.pipeline().publish(ops);
        } catch (RuntimeException e) {
            if (reservation != null) {
                reservation.close();
            }
            throw e;
        }
        begun = true;
        if (appendIndex >= 0) {
            PinnedReservation r = reservation;
            futures.get(appendIndex).whenComplete((v, e) -> {
                if (r != null) {
                    r.close();
                }
            });
        }
        return futures;
    }

    @Override
    public CompletableFuture<ObjectInfo> commit() {
        CompletableFuture<Object> committed;
        String etag;
        long size;
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "part session was already committed or aborted"));
            }
            state = State.COMMITTING;
            etag = HexFormat.of().formatHex(stager.digest());
            size = stager.written();
            try {
                List<CompletableFuture<Object>> f = publish(stager.take(),
                        List.of(new PipelineOp.Commit(ps, new CommitRequest(size, etag, 0L))));
                committed = f.get(f.size() - 1);
            } catch (RuntimeException e) {
                return failAndAbort(e);
            }
        }
        return committed.handle((r, e) -> {
            if (e != null) {
                synchronized (this) {
                    state = State.OPEN;
                }
                return this.<ObjectInfo>failAndAbort(e);
            }
            synchronized (this) {
                state = State.DONE;
            }
            List<Extent> replaced = ((PartResult) r).released();
            if (!replaced.isEmpty()) {
                svc.pins().retire(replaced.get(0).fileId(), replaced);
            }
            WritePolicy policy = policy();
            return CompletableFuture.completedFuture(new ObjectInfo(path(), size, etag, Instant.now(), null, Map.of(),
                    policy == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED, policy, 0,
                    List.of()));
        }).thenCompose(f -> f);
    }

    private <T> CompletableFuture<T> failAndAbort(Throwable e) {
        return WorkerCacheService.failAfter(abort(), e, path(), "part write");
    }

    @Override
    public CompletableFuture<Void> abort() {
        boolean publishAbort;
        synchronized (this) {
            if (state == State.DONE) {
                return CompletableFuture.completedFuture(null);
            }
            state = State.DONE;
            stager.discard();
            publishAbort = begun;
        }
        if (!publishAbort) {
            return CompletableFuture.completedFuture(null);
        }
        // The copy was never acknowledged: its records go back (at once, or when the last reader lets go).
        return svc.pipeline().abortPart(ps).handle((PartResult r, Throwable e) -> {
            if (r != null) {
                svc.pins().retire(ps.fileId(), r.released());
            }
            return null;
        });
    }
}
