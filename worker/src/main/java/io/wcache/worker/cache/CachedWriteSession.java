package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.pipeline.PipelineOp;
import io.wcache.pipeline.PipelineSession;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * A write under {@code WRITE_BACK}, {@code TRANSIENT} or {@code WRITE_THROUGH}: bytes go through
 * the write pipeline into the log store and the session's extents into the Catalog.
 *
 * <p>Appends are copied by a {@link RecordStager} and each full record (1 MiB) is published as
 * one log record; up to {@link #IN_FLIGHT} published records may be on their way to the log
 * while the caller goes on appending. Nothing is published before the first full record or the
 * commit: a small object publishes BEGIN, APPEND and COMMIT together and lands in one ring batch
 * (one log sync, one Catalog transaction). {@code WRITE_THROUGH} publishes its data, uploads it
 * from the log to the UFS, and only then commits. Pinned space is reserved per record; a refusal
 * fails the append or commit with {@code OutOfSpace} and aborts the session.
 */
final class CachedWriteSession implements WriteSession {

    /** Records a session may have published but not yet durable before its appends wait. */
    static final int IN_FLIGHT = 4;

    private enum State { OPEN, COMMITTING, DONE }

    private final WorkerCacheService svc;
    private final WriteOptions options;
    /** What a {@code WRITE_THROUGH} upload stores besides the bytes, validated when the session was created. */
    private final PutOptions put;
    private final PipelineSession ps;
    private final CRC32C crc = new CRC32C();
    // Guarded by this.
    private final RecordStager stager = new RecordStager();
    private State state = State.OPEN;
    private boolean begun;
    private long published;
    private final java.util.ArrayDeque<CompletableFuture<Object>> inFlight = new java.util.ArrayDeque<>();

    CachedWriteSession(WorkerCacheService svc, PipelineSession ps, WriteOptions options, PutOptions put) {
        this.svc = svc;
        this.ps = ps;
        this.options = options;
        this.put = put;
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

    long fileId() {
        return ps.fileId();
    }

    @Override
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (state != State.OPEN) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                    "write session is " + (state == State.DONE ? "finished" : "committing") + "; no more appends"));
        }
        if (ps.failure() != null) {
            return CompletableFuture.failedFuture(ps.failure());
        }
        crc.update(chunk.duplicate());
        try {
            stager.append(chunk, record -> {
                List<CompletableFuture<Object>> f = publish(record, List.of());
                inFlight.addLast(f.get(f.size() - 1));
            });
        } catch (RuntimeException e) {
            return failAndAbort(e);
        }
        // The bytes are copied: the caller may reuse its buffer now. It waits only while more than
        // IN_FLIGHT records are on their way to the log, so a large object streams through the
        // pipeline (syncs and Catalog batches shared) instead of one record per round trip.
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone() && !inFlight.peekFirst().isCompletedExceptionally()) {
            inFlight.removeFirst();
        }
        if (inFlight.size() <= IN_FLIGHT) {
            CompletableFuture<Object> failed = inFlight.stream().filter(CompletableFuture::isCompletedExceptionally)
                    .findFirst().orElse(null);
            return failed == null ? CompletableFuture.completedFuture(null) : failed.thenApply(x -> null);
        }
        return inFlight.peekFirst().thenApply(x -> null);
    }

    /**
     * Publishes BEGIN (first time), {@code body} as the next record (if not null) and
     * {@code extra}, together. Returns the futures of all published ops.
     */
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
        String etag;
        long crcValue;
        long size;
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "write session was already committed or aborted"));
            }
            state = State.COMMITTING;
            byte[] digest = stager.digest();
            if (options.expectedMd5().isPresent() && !Arrays.equals(options.expectedMd5().get(), digest)) {
                return failAndAbort(new WcacheException.InvalidArgument(path().toString(),
                        "the body's MD5 does not match the declared Content-MD5"));
            }
            etag = HexFormat.of().formatHex(digest);
            crcValue = crc.getValue();
            size = stager.written();
        }
        CommitRequest request = new CommitRequest(size, etag, crcValue, WorkerCacheService.conditionOf(options));
        PathLocks.Mutex lock = svc.locks().of(path());
        CompletableFuture<Object> committed;
        if (policy() == WritePolicy.WRITE_THROUGH) {
            CompletableFuture<Object> data;
            synchronized (this) {
                try {
                    List<CompletableFuture<Object>> f = new ArrayList<>(inFlight);
                    f.addAll(publish(stager.take(), List.of()));
                    data = CompletableFuture.allOf(f.toArray(CompletableFuture[]::new)).thenApply(v -> null);
                } catch (RuntimeException e) {
                    return failAndAbort(e);
                }
            }
            // Upload and commit run inside the persister's order for the path: an older WRITE_BACK
            // upload still queued sees this newer generation (the commit's event reaches the
            // persister before the path is released) and is skipped instead of landing after it.
            // From the moment the data is in, the session is marked uploading: while it waits for
            // the path and uploads, no byte is appended, and the sweep must not take it for dangling.
            committed = data.thenApplyAsync(v -> svc.uploading().mark(ps.ref()), svc.ioExecutor())
                    .thenCompose(mark -> lock.acquire().handle((v, e) -> {
                        if (e != null) {
                            mark.close();
                            throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
                        }
                        return mark;
                    }))
                    .thenApplyAsync(mark -> {
                        try (mark) {
                            return svc.inPersistOrder(ps.path(), () -> {
                                // Under the path's lock: no other commit of the path from this worker
                                // can come between this check and the commit; the commit checks again.
                                svc.checkWriteConditions(ps.path(), options);
                                svc.uploader().upload(ps.path(), ps.extents(), size, put);
                                return (Object) svc.pipeline().commit(ps, request).join();
                            });
                        } finally {
                            lock.release();
                        }
                    }, svc.ioExecutor());
        } else {
            committed = lock.acquire().thenCompose(v -> {
                synchronized (this) {
                    try {
                        List<CompletableFuture<Object>> f = publish(stager.take(),
                                List.of(new PipelineOp.Commit(ps, request)));
                        return f.get(f.size() - 1).whenComplete((r, e) -> lock.release());
                    } catch (RuntimeException e) {
                        lock.release();
                        throw e;
                    }
                }
            });
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
            return CompletableFuture.completedFuture(svc.onCommitted((CommitResult) r));
        }).thenCompose(f -> f);
    }

    /** Aborts the session and fails with {@code e} once the abort has settled. */
    private <T> CompletableFuture<T> failAndAbort(Throwable e) {
        return WorkerCacheService.failAfter(abort(), e, path(), "write");
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
        return svc.pipeline().abort(ps).handle((AbortResult r, Throwable e) -> {
            if (r != null) {
                svc.pins().retire(ps.fileId(), r.extents());
            }
            return null;
        });
    }
}
