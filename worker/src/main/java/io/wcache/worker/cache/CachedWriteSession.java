package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.pipeline.SegmentWriter;
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
 * A write under {@code WRITE_BACK}, {@code TRANSIENT} or {@code WRITE_THROUGH}: hands its bytes
 * and, at the end, its size, ETag, CRC and condition to a {@link SegmentWriter}, which builds the
 * pipeline's ops and reserves pinned space; this class never builds an op nor calls the log store.
 *
 * <p>Appends are copied by a {@link RecordStager} and each full record (1 MiB) is handed to the
 * writer as one log record; up to {@link InFlightRecords#LIMIT} records may be on their way to the log
 * while the caller goes on appending. Nothing is handed over before the first full record or the
 * commit: a small object's record and commit go to the writer together and land in one ring batch
 * (one log sync, one Catalog transaction). The writer syncs at the commit
 * ({@link SegmentWriter#syncAtCommit()}): a large object's records are not synced one batch at a
 * time, the commit's sync makes all of them durable before it is acknowledged. {@code WRITE_THROUGH} flushes its data, uploads it
 * from the log to the UFS, and only then commits. A refusal of pinned space fails the append or
 * commit with {@code OutOfSpace} and aborts the session.
 */
final class CachedWriteSession implements ReplicableWriteSession {

    private enum State { OPEN, COMMITTING, DONE }

    private final WorkerCacheService svc;
    private final WriteOptions options;
    /** What a {@code WRITE_THROUGH} upload stores besides the bytes, validated when the session was created. */
    private final PutOptions put;
    private final SegmentWriter writer;
    private final CRC32C crc = new CRC32C();
    // Guarded by this.
    private final RecordStager stager;
    private State state = State.OPEN;
    private final InFlightRecords inFlight = new InFlightRecords();
    /** Other workers' durable copies of this version, recorded by the commit (writeReplicas > 1). */
    private volatile List<io.wcache.schema.catalog.ReplicaCopy> replicas = List.of();

    CachedWriteSession(WorkerCacheService svc, SegmentWriter writer, WriteOptions options, PutOptions put) {
        this.svc = svc;
        this.writer = writer;
        this.options = options;
        this.put = put;
        // A write that may leave its ETag for later (the FUSE mount's) takes no MD5 of its full
        // records on the way in (one smaller than a record is hashed at its commit, as always),
        // unless it uploads before it commits (WRITE_THROUGH), where the UFS checks the bytes by it.
        this.stager = options.etagLater() && writer.policy() != WritePolicy.WRITE_THROUGH
                ? RecordStager.withoutMd5() : new RecordStager();
    }

    @Override
    public NamespacePath path() {
        return writer.path();
    }

    @Override
    public WritePolicy policy() {
        return writer.policy();
    }

    @Override
    public synchronized long written() {
        return stager.written();
    }

    @Override
    public long fileId() {
        return writer.fileId();
    }

    @Override
    public void replicatedTo(List<io.wcache.schema.catalog.ReplicaCopy> copies) {
        this.replicas = List.copyOf(copies);
    }

    /** The bytes are copied into the session's records (or refused) before {@link #append} returns. */
    @Override
    public boolean copiesOnAppend() {
        return true;
    }

    @Override
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (state != State.OPEN) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                    "write session is " + (state == State.DONE ? "finished" : "committing") + "; no more appends"));
        }
        if (writer.failure() != null) {
            return CompletableFuture.failedFuture(writer.failure());
        }
        crc.update(chunk.duplicate());
        try {
            // A record counts as in flight until it is written and its MD5 taken, so a session never
            // holds more than InFlightRecords.LIMIT records waiting to be hashed either.
            stager.append(chunk, writer::append, inFlight::add);
        } catch (RuntimeException e) {
            return failAndAbort(e);
        }
        // The bytes are copied: the caller may reuse its buffer now.
        return inFlight.admission();
    }

    @Override
    public CompletableFuture<ObjectInfo> commit(java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        CompletableFuture<byte[]> digest;
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "write session was already committed or aborted"));
            }
            state = State.COMMITTING;
            // At once for an object smaller than a record; otherwise once its last records are hashed.
            digest = stager.digest();
        }
        return digest.thenCompose(d -> commitHashed(d, checksum));
    }

    private CompletableFuture<ObjectInfo> commitHashed(byte[] digest,
            java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        String etag;
        long crcValue;
        long size;
        synchronized (this) {
            if (state != State.COMMITTING) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "write session was aborted while it committed"));
            }
            if (options.expectedMd5().isPresent() && !Arrays.equals(options.expectedMd5().get(), digest)) {
                return failAndAbort(new WcacheException.InvalidArgument(path().toString(),
                        "the body's MD5 does not match the declared Content-MD5"));
            }
            // No digest: the ETag is computed after the commit (WorkerCacheService.onCommitted).
            etag = digest == null ? "" : HexFormat.of().formatHex(digest);
            crcValue = crc.getValue();
            size = stager.written();
        }
        CommitRequest request = new CommitRequest(size, etag, crcValue, PathPolicies.conditionOf(options), checksum)
                .withReplicas(replicas);
        PathLocks.Mutex lock = svc.locks().of(path());
        CompletableFuture<CommitResult> committed;
        if (policy() == WritePolicy.WRITE_THROUGH) {
            CompletableFuture<Object> data;
            synchronized (this) {
                try {
                    List<CompletableFuture<?>> f = new ArrayList<>(inFlight.pending());
                    f.add(stager.takeInto(writer::flush));
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
            committed = data.thenApplyAsync(v -> svc.uploading().mark(writer.session().ref()), svc.ioExecutor())
                    .thenCompose(mark -> lock.acquire().handle((v, e) -> {
                        if (e != null) {
                            mark.close();
                            throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
                        }
                        return mark;
                    }))
                    .thenApplyAsync(mark -> {
                        try (mark) {
                            return svc.inPersistOrder(path(), () -> {
                                // Under the path's lock: no other commit of the path from this worker
                                // can come between this check and the commit; the commit checks again.
                                svc.checkWriteConditions(path(), options);
                                svc.uploader().upload(path(), writer.extents(), size, put);
                                return writer.commit(request).join();
                            });
                        } finally {
                            lock.release();
                        }
                    }, svc.ioExecutor());
        } else {
            committed = lock.acquire().thenCompose(v -> {
                synchronized (this) {
                    try {
                        return stager.takeInto(last -> writer.commit(last, request)).whenComplete((r, e) -> lock.release());
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
            return CompletableFuture.completedFuture(svc.onCommitted(r));
        }).thenCompose(f -> f);
    }

    /** Aborts the session and fails with {@code e} once the abort has settled. */
    private <T> CompletableFuture<T> failAndAbort(Throwable e) {
        return WorkerCacheService.failAfter(abort(), e, path(), "write");
    }

    @Override
    public CompletableFuture<Void> abort() {
        synchronized (this) {
            if (state == State.DONE) {
                return CompletableFuture.completedFuture(null);
            }
            state = State.DONE;
            stager.discard();
        }
        return writer.abort().handle((AbortResult r, Throwable e) -> {
            if (r != null) {
                svc.pins().retire(writer.fileId(), r.extents());
            }
            return null;
        });
    }
}
