package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The replicas of unpersisted versions ({@link Catalog#replicas()}, {@code writeReplicas > 1}). A
 * replica is a copy of a version's bytes in another worker's log, recorded as Extent records under
 * a file id of its own (its {@link ReplicaCopy}); the version's commit lists its copies
 * ({@code File.replica_workers}, {@code File.replica_file_ids}). A copy is needed while its version
 * is committed and not persisted; then it is dropped ({@link #settle}). When the worker holding a
 * version's bytes dies, a replica holder takes the version over ({@link #takeOver}): its copy's
 * extents become the version's, so it serves and persists it. Each method is one transaction.
 */
public final class ReplicaCopies {

    private final CatalogTransactions transactions;

    ReplicaCopies(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    /**
     * A copy {@code worker} holds of a committed, unpersisted version: the version, the copy's file
     * id, and the worker holding the version's own bytes (its first extent's; empty for an empty object).
     */
    public record Held(FileVersion version, long copyFileId, String versionHolder) {
    }

    /** A version taken over: its layout now, and the extents of the former holder it no longer references. */
    public record TakenOver(FileLayout layout, List<Extent> released) {
    }

    /**
     * The committed versions not yet persisted whose bytes are on {@code worker} (their first
     * extent's worker), with their extents: what a drain must hand over or see persisted.
     */
    public List<FileLayout> unpersistedOn(String worker) {
        return transactions.run(t -> {
            List<FileLayout> out = new ArrayList<>();
            for (WcacheRecords.File f : committedUnpersisted(t)) {
                List<Extent> ext = t.files.extents(f.getFileId());
                if (!ext.isEmpty() && ext.get(0).worker().equals(worker)) {
                    out.add(new FileLayout(RecordMapping.file(f), ext));
                }
            }
            return out;
        });
    }

    /** Every committed version not yet persisted (not persisted, persisting, or transient). */
    private static List<WcacheRecords.File> committedUnpersisted(Tx t) {
        List<WcacheRecords.File> out = new ArrayList<>();
        for (WcacheRecords.PersistState s : List.of(WcacheRecords.PersistState.NOT_PERSISTED,
                WcacheRecords.PersistState.PERSISTING, WcacheRecords.PersistState.TRANSIENT_ONLY)) {
            for (WcacheRecords.File f : t.indexScan(WcacheMetaData.FILE_BY_PERSIST_STATE,
                    TupleRange.allOf(Tuple.from(s.getNumber())), ScanProperties.FORWARD_SCAN,
                    WcacheRecords.File.getDefaultInstance())) {
                if (f.getState() == WcacheRecords.FileState.COMMITTED) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    /** The copies {@code worker} holds of committed versions not yet persisted. */
    public List<Held> heldBy(String worker) {
        return transactions.run(t -> {
            List<Held> out = new ArrayList<>();
            for (WcacheRecords.File f : committedUnpersisted(t)) {
                int i = f.getReplicaWorkersList().indexOf(worker);
                if (i >= 0 && i < f.getReplicaFileIdsCount()) {
                    out.add(new Held(RecordMapping.file(f), f.getReplicaFileIds(i), firstWorker(t, f.getFileId())));
                }
            }
            return out;
        });
    }

    /**
     * Drops {@code worker}'s copy {@code copyFileId} of version {@code fileId} of {@code path} if it
     * is no longer needed (the version was persisted, superseded or deleted, or never committed
     * with it): its extent records go and are returned, for the holder to release their bytes.
     * Empty while the copy is needed (or its version is still being written).
     */
    public Optional<List<Extent>> settle(NamespacePath path, long fileId, long copyFileId, String worker) {
        return transactions.run(t -> {
            WcacheRecords.File f = t.files.load(path, fileId);
            if (f != null && f.getState() == WcacheRecords.FileState.WRITING) {
                return Optional.<List<Extent>>empty();
            }
            int i = f == null ? -1 : f.getReplicaFileIdsList().indexOf(copyFileId);
            if (i >= 0 && f.getPersistState() != WcacheRecords.PersistState.PERSISTED) {
                return Optional.<List<Extent>>empty();
            }
            if (i >= 0) {
                // Persisted: the UFS holds the version, the copy is no longer a replica.
                WcacheRecords.File updated = withoutCopy(f, i).build();
                t.store.saveRecord(updated);
                t.space.account(RecordMapping.file(f), -1);
                t.space.account(RecordMapping.file(updated), +1);
            }
            return Optional.of(copyExtents(t, copyFileId, worker, true));
        });
    }

    /**
     * {@code taker} takes over version {@code fileId} of {@code path} from {@code deadHolder}, the
     * worker holding its bytes, which died: if the version is still the path's committed one, not
     * persisted, with all its extents on {@code deadHolder} and a whole copy on {@code taker}, the
     * copy's extents become the version's (the dead worker's are forgotten; it drops their bytes
     * when it restarts), {@code taker} becomes its owner and leaves its replica list, and a pending
     * upload of it no longer waits for an attempt or a lease of the dead worker that has ended.
     * Empty when any of this no longer holds (another replica took it over first, it was
     * superseded, persisted or the holder came back), and while an upload of the path is claimed
     * under a lease that has not ended (it may be running).
     */
    public Optional<TakenOver> takeOver(NamespacePath path, long fileId, String deadHolder, String taker) {
        return transactions.run(t -> {
            WcacheRecords.File f = t.files.load(path, fileId);
            if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED
                    || f.getPersistState() == WcacheRecords.PersistState.PERSISTED) {
                return Optional.<TakenOver>empty();
            }
            int i = f.getReplicaWorkersList().indexOf(taker);
            if (i < 0 || i >= f.getReplicaFileIdsCount()) {
                return Optional.<TakenOver>empty();
            }
            List<Extent> own = t.files.extents(fileId);
            for (Extent e : own) {
                if (!e.worker().equals(deadHolder)) {
                    return Optional.<TakenOver>empty();
                }
            }
            WcacheRecords.PersistTask task = t.tasks.task(path.toString());
            if (task != null && task.hasLeaseExpiryMs() && task.getLeaseExpiryMs() > t.now) {
                // An upload of the path is claimed and may be running (the holder may only seem dead):
                // no second worker may upload it before that claim's lease ends.
                return Optional.<TakenOver>empty();
            }
            long copyId = f.getReplicaFileIds(i);
            List<Extent> copy = t.files.extents(copyId);
            if (!covers(copy, f.getSize(), taker)) {
                return Optional.<TakenOver>empty();
            }
            for (Extent e : own) {
                t.files.deleteExtent(e);
            }
            List<Extent> moved = new ArrayList<>(copy.size());
            for (Extent e : copy) {
                t.files.deleteExtent(e);
                Extent m = new Extent(fileId, e.offset(), taker, e.segment(), e.position(), e.length(), e.crc32c());
                t.files.saveExtent(m);
                moved.add(m);
            }
            WcacheRecords.File updated = withoutCopy(f, i).setOwnerWorker(taker).build();
            t.store.saveRecord(updated);
            t.space.account(RecordMapping.file(f), -1);
            t.space.account(RecordMapping.file(updated), +1);
            if (task != null && task.getFileId() == fileId && task.getNextAttemptTimeMs() > t.now) {
                // A retry delay of the dead holder's failed attempts: the new holder tries at once.
                t.store.saveRecord(task.toBuilder().setNextAttemptTimeMs(t.now).build());
            }
            return Optional.of(new TakenOver(new FileLayout(RecordMapping.file(updated), moved), own));
        });
    }

    /**
     * The path's committed version with the extents of {@code worker}'s copy of it (under the
     * copy's file id), if {@code worker} holds a whole copy: a read of a version whose holder is
     * unreachable is served from it.
     */
    public Optional<FileLayout> copyLayout(NamespacePath path, String worker) {
        return transactions.run(t -> {
            WcacheRecords.File f = t.files.committedAt(path.toString());
            if (f == null) {
                return Optional.<FileLayout>empty();
            }
            int i = f.getReplicaWorkersList().indexOf(worker);
            if (i < 0 || i >= f.getReplicaFileIdsCount()) {
                return Optional.<FileLayout>empty();
            }
            List<Extent> copy = t.files.extents(f.getReplicaFileIds(i));
            return covers(copy, f.getSize(), worker) ? Optional.of(new FileLayout(RecordMapping.file(f), copy))
                    : Optional.<FileLayout>empty();
        });
    }

    // ---------------------------------------------------------------- within a batch (the write pipeline)

    /** Records extents of a copy being written; returns them. */
    static List<Extent> addCopyExtents(Tx t, long copyFileId, List<Extent> extents) {
        for (Extent e : extents) {
            if (e.fileId() != copyFileId || e.length() <= 0 || e.offset() < 0 || e.worker() == null
                    || e.worker().isEmpty()) {
                throw new WcacheException.InvalidArgument("copy " + copyFileId, "not an extent of copy " + copyFileId
                        + ": " + e);
            }
            t.files.saveExtent(e);
        }
        return extents;
    }

    /**
     * Drops an unfinished copy (its write was aborted or its connection lost): its extents go,
     * unless version {@code ofFileId} was committed with it (then it is a replica, kept until
     * {@link #settle}). Returns what was dropped.
     */
    static AbortResult dropCopy(Tx t, long ofFileId, long copyFileId) {
        WcacheRecords.File f = t.files.byId(ofFileId);
        if (f != null && f.getState() == WcacheRecords.FileState.COMMITTED
                && f.getReplicaFileIdsList().contains(copyFileId)) {
            return new AbortResult(null, List.of());
        }
        return new AbortResult(null, t.files.deleteExtents(copyFileId));
    }

    /** A commit may record a replica only if the copy's extents, on its worker, cover the version. */
    static void requireCopy(Tx t, String path, ReplicaCopy c, long size) {
        List<Extent> copy = t.files.extents(c.copyFileId());
        if (!covers(copy, size, c.worker())) {
            long held = copy.stream().filter(e -> e.worker().equals(c.worker())).mapToLong(Extent::length).sum();
            throw new WcacheException.Unavailable(path, "the replica of " + path + " on " + c.worker() + " holds "
                    + held + " of its " + size + " bytes (its write was lost); the write is not acknowledged", null);
        }
    }

    private static boolean covers(List<Extent> extents, long size, String worker) {
        long covered = 0;
        for (Extent e : extents) {
            if (e.offset() != covered || !e.worker().equals(worker)) {
                return false;
            }
            covered = e.end();
        }
        return covered == size;
    }

    private static List<Extent> copyExtents(Tx t, long copyFileId, String worker, boolean delete) {
        List<Extent> out = new ArrayList<>();
        for (Extent e : t.files.extents(copyFileId)) {
            if (e.worker().equals(worker)) {
                if (delete) {
                    t.files.deleteExtent(e);
                }
                out.add(e);
            }
        }
        return out;
    }

    private static WcacheRecords.File.Builder withoutCopy(WcacheRecords.File f, int i) {
        List<String> workers = new ArrayList<>(f.getReplicaWorkersList());
        List<Long> ids = new ArrayList<>(f.getReplicaFileIdsList());
        workers.remove(i);
        ids.remove(i);
        return f.toBuilder().clearReplicaWorkers().addAllReplicaWorkers(workers).clearReplicaFileIds()
                .addAllReplicaFileIds(ids);
    }

    private static String firstWorker(Tx t, long fileId) {
        List<Message> first = t.scan(TupleRange.allOf(Tuple.from(RecordTypes.EXTENT, fileId)), 1);
        return first.isEmpty() ? "" : as(first.get(0), WcacheRecords.Extent.getDefaultInstance()).getWorker();
    }
}
