package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.pipeline.ExtentCodec;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.Extent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes one part of a multipart upload: bytes go straight to the log store under a reserved
 * file id (records of at most {@link RecordStager#RECORD} bytes, pinned space reserved per
 * record like any cached write), and the commit syncs the log, then records the part and its
 * extents in the Catalog ({@code putPart}). A part is not a file of the namespace, so it takes no
 * path lock and never appears in listings; completing the upload re-points its extents into the
 * final version without copying bytes. Until the part is recorded its records are unreferenced:
 * an abort releases them, and after a crash restart reconciliation drops them.
 */
final class PartWriteSession implements WriteSession {

    private enum State { OPEN, COMMITTING, DONE }

    private final WorkerCacheService svc;
    private final NamespacePath path;
    private final String uploadId;
    private final int partNumber;
    private final WritePolicy policy;
    private final long fileId;
    // Guarded by this.
    private final RecordStager stager = new RecordStager();
    private State state = State.OPEN;
    private long published;
    private final List<Extent> extents = new ArrayList<>();
    /** The last record write in flight; records are written one after another, in offset order. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    PartWriteSession(WorkerCacheService svc, NamespacePath path, String uploadId, int partNumber, WritePolicy policy,
                     long fileId) {
        this.svc = svc;
        this.path = path;
        this.uploadId = uploadId;
        this.partNumber = partNumber;
        this.policy = policy;
        this.fileId = fileId;
    }

    @Override
    public NamespacePath path() {
        return path;
    }

    @Override
    public WritePolicy policy() {
        return policy;
    }

    @Override
    public synchronized long written() {
        return stager.written();
    }

    @Override
    public synchronized CompletableFuture<Void> append(ByteBuffer chunk) {
        if (state != State.OPEN) {
            return CompletableFuture.failedFuture(new WcacheException.Conflict(path.toString(),
                    "part session is finished; no more appends"));
        }
        stager.append(chunk, this::write);
        // The caller's buffer was copied; completing with the record write keeps the caller's pace at the disk's.
        return tail;
    }

    /** Queues {@code body} (if not null) as the next record. Caller holds the lock. */
    private void write(ByteBuffer body) {
        if (body == null) {
            return;
        }
        long offset = published;
        published += body.remaining();
        tail = tail.thenApplyAsync(v -> {
            PinnedReservation reservation = policy.pinsData() ? svc.store().reservePinned(body.remaining()) : null;
            try {
                long crc = WritePipeline.crc32c(body);
                Location loc = svc.store().append(new Chunk(fileId, offset, new ByteBuffer[] {body}, reservation));
                Extent ext = ExtentCodec.toExtent(fileId, offset, svc.workerId(), loc, crc);
                synchronized (this) {
                    extents.add(ext);
                }
                return null;
            } finally {
                if (reservation != null) {
                    reservation.close();
                }
            }
        }, svc.ioExecutor());
    }

    @Override
    public CompletableFuture<ObjectInfo> commit() {
        CompletableFuture<Void> data;
        String etag;
        long size;
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new WcacheException.Conflict(path.toString(),
                        "part session was already committed or aborted"));
            }
            state = State.COMMITTING;
            write(stager.take());
            data = tail;
            etag = HexFormat.of().formatHex(stager.digest());
            size = stager.written();
        }
        return data.thenCompose(v -> svc.store().syncAsync()).thenApplyAsync(v -> {
            List<Extent> mine;
            synchronized (this) {
                mine = List.copyOf(extents);
            }
            List<Extent> replaced = svc.catalog().putPart(uploadId, partNumber, fileId, mine, size, etag);
            // The Catalog records the part's locations now: until here the reclaimer left them where they are.
            svc.store().published(mine.stream().map(ExtentCodec::toLocation).toList());
            if (!replaced.isEmpty()) {
                svc.pins().retire(replaced.get(0).fileId(), replaced);
            }
            synchronized (this) {
                state = State.DONE;
            }
            return new ObjectInfo(path, size, etag, Instant.now(), null, Map.of(),
                    policy == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED, policy, 0,
                    List.of());
        }, svc.ioExecutor()).handle((info, e) -> {
            if (e != null) {
                synchronized (this) {
                    state = State.OPEN;
                }
                return WorkerCacheService.<ObjectInfo>failAfter(abort(), e, path, "part write");
            }
            return CompletableFuture.completedFuture(info);
        }).thenCompose(f -> f);
    }

    @Override
    public CompletableFuture<Void> abort() {
        CompletableFuture<Void> settled;
        synchronized (this) {
            if (state == State.DONE) {
                return CompletableFuture.completedFuture(null);
            }
            state = State.DONE;
            stager.discard();
            settled = tail.handle((v, e) -> null);
        }
        // The records were never referenced by the Catalog: their space goes back at once.
        return settled.thenRun(() -> {
            List<Extent> mine;
            synchronized (this) {
                mine = List.copyOf(extents);
                extents.clear();
            }
            for (Extent e : mine) {
                svc.store().release(ExtentCodec.toLocation(e));
            }
        });
    }
}
