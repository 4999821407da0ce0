package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PartResult;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes one part of a multipart upload through a part {@link SegmentWriter}, the route every
 * cached byte takes (this class hands over bytes; the writer builds the ops and reserves pinned
 * space): records of at most {@link RecordStager#RECORD} bytes with pinned space reserved per
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
    private final SegmentWriter writer;
    // Guarded by this.
    private final RecordStager stager = new RecordStager();
    private State state = State.OPEN;
    private final InFlightRecords inFlight = new InFlightRecords();

    PartWriteSession(WorkerCacheService svc, SegmentWriter writer) {
        this.svc = svc;
        this.writer = writer;
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
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (state != State.OPEN) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                    "part session is finished; no more appends"));
        }
        if (writer.failure() != null) {
            return CompletableFuture.failedFuture(writer.failure());
        }
        try {
            stager.append(chunk, writer::append, inFlight::add);
        } catch (RuntimeException e) {
            return failAndAbort(e);
        }
        return inFlight.admission();
    }

    /** Completes when every record published so far is durable and its extent recorded (tests). */
    synchronized CompletableFuture<Void> published() {
        return inFlight.all();
    }

    @Override
    public CompletableFuture<ObjectInfo> commit(java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        CompletableFuture<byte[]> digest;
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "part session was already committed or aborted"));
            }
            state = State.COMMITTING;
            // At once for a part smaller than a record; otherwise once its last records are hashed.
            digest = stager.digest();
        }
        return digest.thenCompose(d -> commitHashed(d, checksum));
    }

    private CompletableFuture<ObjectInfo> commitHashed(byte[] digest,
            java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        CompletableFuture<PartResult> committed;
        String etag;
        long size;
        synchronized (this) {
            if (state != State.COMMITTING) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path().toString(),
                        "part session was aborted while it committed"));
            }
            etag = HexFormat.of().formatHex(digest);
            size = stager.written();
            try {
                CommitRequest request = new CommitRequest(size, etag, 0L, io.wcache.schema.catalog.WriteCondition.NONE,
                        checksum);
                committed = stager.takeInto(last -> writer.commitPart(last, request));
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
            List<Extent> replaced = r.released();
            if (!replaced.isEmpty()) {
                svc.pins().retire(replaced.get(0).fileId(), replaced);
            }
            WritePolicy policy = policy();
            return CompletableFuture.completedFuture(new ObjectInfo(path(), size, etag, Instant.now(), null, Map.of(),
                    policy == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED, policy, 0,
                    List.of(), Map.of(), Map.of(), checksum, List.of()));
        }).thenCompose(f -> f);
    }

    private <T> CompletableFuture<T> failAndAbort(Throwable e) {
        return WorkerCacheService.failAfter(abort(), e, path(), "part write");
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
        // The copy was never acknowledged: its records go back (at once, or when the last reader lets go).
        return writer.abortPart().handle((PartResult r, Throwable e) -> {
            if (r != null) {
                svc.pins().retire(writer.fileId(), r.released());
            }
            return null;
        });
    }
}
