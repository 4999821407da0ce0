package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import com.apple.foundationdb.record.EndpointType;
import com.apple.foundationdb.record.ExecuteProperties;
import com.apple.foundationdb.record.IsolationLevel;
import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The persist queue's records within one transaction: at most one task per path (the newest
 * work), due by its next-attempt time, claimed under a lease, and finished or rescheduled by
 * its claimer. A finished task whose path moved on meanwhile is superseded, never applied.
 */
final class TaskRecords {

    private static final int MAX_ERROR_CHARS = 2000;

    private final Tx t;

    TaskRecords(Tx t) {
        this.t = t;
    }

    WcacheRecords.PersistTask task(String path) {
        return t.load(Tuple.from(RecordTypes.TASK, path), WcacheRecords.PersistTask.getDefaultInstance());
    }

    /** {@link #task}, read for an {@link #upsert} or {@link #delete} of it in this transaction (see {@link Tx#loadForUpdate}). */
    WcacheRecords.PersistTask taskForUpdate(String path) {
        return t.loadForUpdate(Tuple.from(RecordTypes.TASK, path), WcacheRecords.PersistTask.getDefaultInstance());
    }

    /** Deletes the path's task; false if there was none. */
    boolean delete(String path) {
        return t.store.deleteRecord(Tuple.from(RecordTypes.TASK, path));
    }

    /** Queues the path's newest UFS work, replacing {@code existing} but keeping its lease while it is in flight. */
    void upsert(String path, TaskKind kind, long fileId, long generation, long size, WcacheRecords.PersistTask existing) {
        upsert(path, kind, fileId, generation, size, existing, null);
    }

    /**
     * As {@link #upsert(String, TaskKind, long, long, long, WcacheRecords.PersistTask)}, and when no
     * lease on the path runs, leases the new task at once to {@code lease}'s owner (null: to nobody),
     * as {@link #claimOne} would: due now, so it keeps its place in the due index, but claimed by no
     * one else before the lease ends. Returns that lease's expiry in epoch ms, or 0 when it wrote none.
     */
    long upsert(String path, TaskKind kind, long fileId, long generation, long size, WcacheRecords.PersistTask existing,
                CommitLease lease) {
        WcacheRecords.PersistTask.Builder b = WcacheRecords.PersistTask.newBuilder().setPath(path)
                .setKind(kind == TaskKind.DELETE ? WcacheRecords.TaskKind.UFS_DELETE : WcacheRecords.TaskKind.UPLOAD)
                .setFileId(fileId).setGeneration(generation).setSize(size).setAttempts(0).setEnqueuedTimeMs(t.now);
        long leasedUntil = 0;
        if (existing != null && existing.hasLeaseExpiryMs() && existing.getLeaseExpiryMs() > t.now) {
            // The older task is still in flight: keep its lease so the newer work waits for it.
            b.setLeaseOwner(existing.getLeaseOwner()).setLeaseExpiryMs(existing.getLeaseExpiryMs())
                    .setNextAttemptTimeMs(existing.getLeaseExpiryMs());
        } else {
            b.setNextAttemptTimeMs(t.now);
            if (lease != null) {
                leasedUntil = t.now + lease.lease().toMillis();
                b.setLeaseOwner(lease.owner()).setLeaseExpiryMs(leasedUntil);
            }
        }
        t.store.saveRecord(b.build());
        return leasedUntil;
    }

    List<WcacheRecords.PersistTask> all(int limit) {
        List<WcacheRecords.PersistTask> out = new ArrayList<>();
        for (Message m : t.scanType(RecordTypes.TASK, limit)) {
            out.add(as(m, WcacheRecords.PersistTask.getDefaultInstance()));
        }
        return out;
    }

    /**
     * Tasks due at {@code nowMs}, oldest first, among those due at or after {@code fromMs}
     * ({@link Long#MIN_VALUE}: from the index's start).
     */
    List<WcacheRecords.PersistTask> due(long fromMs, long nowMs, int max, IsolationLevel isolation) {
        TupleRange range = fromMs == Long.MIN_VALUE
                ? new TupleRange(null, Tuple.from(nowMs), EndpointType.TREE_START, EndpointType.RANGE_INCLUSIVE)
                : new TupleRange(Tuple.from(fromMs), Tuple.from(nowMs), EndpointType.RANGE_INCLUSIVE, EndpointType.RANGE_INCLUSIVE);
        ScanProperties props = new ScanProperties(ExecuteProperties.newBuilder().setReturnedRowLimit(max)
                .setIsolationLevel(isolation).build());
        return t.indexScan(WcacheMetaData.TASK_BY_NEXT_ATTEMPT, range, props,
                WcacheRecords.PersistTask.getDefaultInstance());
    }

    /** Due tasks looked at per claim: some are skipped (another holder's, leased, not wanted), not claimed. */
    private static final int HOLDER_SCAN_FACTOR = 8;

    List<PersistTask> claim(long fromMs, String owner, Duration lease, int max, String holder,
                            java.util.function.Predicate<PersistTask> wanted) {
        long expiry = t.now + lease.toMillis();
        List<PersistTask> out = new ArrayList<>();
        // The queue is scanned without a read conflict on its range: every commit enqueues a
        // task into it, so a serializable scan made a claim conflict with all concurrent writes
        // and starve under load. Only the claimed tasks themselves must not have changed (another
        // claimer, a newer version replacing the task): their keys are read conflicts.
        int scan = max * HOLDER_SCAN_FACTOR;
        for (WcacheRecords.PersistTask task : due(fromMs, t.now, scan, IsolationLevel.SNAPSHOT)) {
            if (out.size() >= max) {
                break;
            }
            if (wanted != null && !wanted.test(RecordMapping.task(task))) {
                continue;
            }
            if (holder != null && task.getKind() == WcacheRecords.TaskKind.UPLOAD && !heldBy(task, holder)) {
                continue;
            }
            if (task.hasLeaseOwner() && task.getLeaseExpiryMs() > t.now && !task.getLeaseOwner().equals(owner)) {
                // Claimed alone by the persister running it (claimOne), or leased to it by its commit:
                // due, but not free. The claimer's own lease is no bar: the tasks it runs or has queued
                // are what its filter leaves out, and a task its commit leased that it does not know
                // of (a restart, a dropped hand-off) would otherwise wait for the lease to end.
                continue;
            }
            t.store.addRecordReadConflict(Tuple.from(RecordTypes.TASK, task.getPath()));
            WcacheRecords.PersistTask claimed = task.toBuilder().setLeaseOwner(owner).setLeaseExpiryMs(expiry)
                    .setNextAttemptTimeMs(expiry).build();
            t.store.saveRecord(claimed);
            if (task.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                setPersistState(task, WcacheRecords.PersistState.PERSISTING);
            }
            out.add(RecordMapping.task(claimed));
        }
        return out;
    }

    /**
     * Claims the one task {@code task} names for {@code owner} until now + {@code lease}, if it is
     * still its path's task and no other persister's lease on the path is running. A lease held by
     * {@code takeOverFrom} (a worker known to be gone; null: none) is taken over. The path's task
     * key is read for update, so of two racing claims (or a claim and a commit replacing the task)
     * one conflicts and retries.
     */
    TaskClaim claimOne(PersistTask task, String owner, Duration lease, String takeOverFrom) {
        String p = task.path().toString();
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        if (!isCurrent(stored, task)) {
            return TaskClaim.superseded();
        }
        if (heldAgainst(stored, owner, takeOverFrom)) {
            return TaskClaim.held(stored.getLeaseOwner(), Instant.ofEpochMilli(stored.getLeaseExpiryMs()));
        }
        // The task keeps its place in the due index (rewriting the index entry on every operation
        // cost a fifth of the drain rate): a poll's claim skips a due task under a running lease.
        WcacheRecords.PersistTask claimed = stored.toBuilder().setLeaseOwner(owner)
                .setLeaseExpiryMs(t.now + lease.toMillis()).build();
        t.store.saveRecord(claimed);
        return TaskClaim.claimed(RecordMapping.task(claimed));
    }

    /**
     * Takes the path's lease for a synchronous object-store write ({@code WRITE_THROUGH},
     * {@code NO_CACHE}) by {@code owner}: on its task if it has one, else on a placeholder task
     * (file id 0, generation 0) that a delete or commit made meanwhile replaces while keeping its
     * lease, so their operations wait for the write. HELD while another persister's lease runs
     * (a lease held by {@code takeOverFrom}, a worker known to be gone, is taken over).
     */
    PathLease leasePath(String p, String owner, Duration lease, String takeOverFrom) {
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        long expiry = t.now + lease.toMillis();
        if (stored == null) {
            t.store.saveRecord(WcacheRecords.PersistTask.newBuilder().setPath(p).setKind(WcacheRecords.TaskKind.UPLOAD)
                    .setFileId(0).setGeneration(0).setSize(0).setAttempts(0).setEnqueuedTimeMs(t.now)
                    .setNextAttemptTimeMs(expiry).setLeaseOwner(owner).setLeaseExpiryMs(expiry).build());
            return new PathLease(PathLease.Kind.PLACEHOLDER, "");
        }
        if (heldAgainst(stored, owner, takeOverFrom)) {
            return new PathLease(PathLease.Kind.HELD, stored.getLeaseOwner());
        }
        if (stored.hasLeaseOwner() && stored.getLeaseExpiryMs() > t.now && stored.getLeaseOwner().equals(owner)) {
            return new PathLease(PathLease.Kind.OWN, "");
        }
        t.store.saveRecord(stored.toBuilder().setLeaseOwner(owner).setLeaseExpiryMs(expiry).build());
        return new PathLease(PathLease.Kind.LEASED, "");
    }

    /** Whether another persister's lease on {@code stored} runs now (one held by {@code takeOverFrom} does not count). */
    private boolean heldAgainst(WcacheRecords.PersistTask stored, String owner, String takeOverFrom) {
        return stored.hasLeaseOwner() && stored.getLeaseExpiryMs() > t.now && !stored.getLeaseOwner().equals(owner)
                && !stored.getLeaseOwner().equals(takeOverFrom);
    }

    /** Extends {@code owner}'s lease on the path's task to now + {@code lease}; false if it holds none there. */
    boolean renew(String p, String owner, Duration lease) {
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        if (stored == null || !stored.hasLeaseOwner() || !stored.getLeaseOwner().equals(owner)) {
            return false;
        }
        t.store.saveRecord(stored.toBuilder().setLeaseExpiryMs(Math.max(stored.getLeaseExpiryMs(), t.now + lease.toMillis()))
                .build());
        return true;
    }

    /** Gives back what {@link #leasePath} took, if the path's task still carries it. */
    void releasePath(String p, String owner, PathLease taken) {
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        if (stored == null || !stored.hasLeaseOwner() || !stored.getLeaseOwner().equals(owner)) {
            return;
        }
        if (taken.kind() == PathLease.Kind.PLACEHOLDER && stored.getFileId() == 0 && stored.getGeneration() == 0) {
            delete(p);
        } else if (taken.kind() == PathLease.Kind.PLACEHOLDER || taken.kind() == PathLease.Kind.LEASED) {
            // A real task (the one leased, or one that replaced the placeholder): due now, unleased.
            t.store.saveRecord(stored.toBuilder().clearLeaseOwner().clearLeaseExpiryMs()
                    .setNextAttemptTimeMs(Math.min(stored.getNextAttemptTimeMs(), t.now)).build());
        }
    }

    /** Whether the first extent of the task's file is in {@code holder}'s log (an empty file: yes). */
    private boolean heldBy(WcacheRecords.PersistTask task, String holder) {
        List<Message> first = t.scan(TupleRange.allOf(Tuple.from(RecordTypes.EXTENT, task.getFileId())), 1);
        return first.isEmpty() || holder.equals(as(first.get(0), WcacheRecords.Extent.getDefaultInstance()).getWorker());
    }

    PersistOutcome markPersisted(PersistTask task) {
        String p = task.path().toString();
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        if (!isCurrent(stored, task)) {
            releaseLease(stored, task);
            return PersistOutcome.SUPERSEDED;
        }
        if (task.kind() == TaskKind.UPLOAD) {
            WcacheRecords.File f = t.files.loadForUpdate(task.path(), task.fileId());
            if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED || f.getGeneration() != task.generation()) {
                delete(p);
                return PersistOutcome.SUPERSEDED;
            }
            // A version made current again from the object store is at this path's key once uploaded.
            WcacheRecords.File persisted = f.toBuilder().setPersistState(WcacheRecords.PersistState.PERSISTED)
                    .clearUfsSource().build();
            t.store.saveRecord(persisted);
            t.space.account(RecordMapping.file(f), -1);
            t.space.account(RecordMapping.file(persisted), +1);
        } else {
            WcacheRecords.Tombstone tomb = t.files.tombstone(p);
            if (tomb != null && tomb.getGeneration() == task.generation()) {
                t.files.deleteTombstone(p);
            }
        }
        delete(p);
        return PersistOutcome.PERSISTED;
    }

    Optional<PersistTask> reschedule(PersistTask task, Instant nextAttempt, String error) {
        String p = task.path().toString();
        WcacheRecords.PersistTask stored = taskForUpdate(p);
        if (!isCurrent(stored, task)) {
            releaseLease(stored, task);
            return Optional.empty();
        }
        String err = error == null ? "" : error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error;
        WcacheRecords.PersistTask.Builder b = stored.toBuilder().setAttempts(stored.getAttempts() + 1).setLastError(err);
        if (stored.hasLeaseOwner() && stored.getLeaseExpiryMs() > t.now
                && !task.leaseOwner().orElse("").equals(stored.getLeaseOwner())) {
            // Another persister holds the path now and may be running its operation: its lease stays,
            // and the task is due again only after it.
            b.setNextAttemptTimeMs(Math.max(nextAttempt.toEpochMilli(), stored.getLeaseExpiryMs()));
            WcacheRecords.PersistTask updated = b.build();
            t.store.saveRecord(updated);
            return Optional.of(RecordMapping.task(updated));
        }
        WcacheRecords.PersistTask updated = b.setNextAttemptTimeMs(nextAttempt.toEpochMilli())
                .clearLeaseOwner().clearLeaseExpiryMs().build();
        t.store.saveRecord(updated);
        if (task.kind() == TaskKind.UPLOAD) {
            setPersistState(stored, WcacheRecords.PersistState.NOT_PERSISTED);
        }
        return Optional.of(RecordMapping.task(updated));
    }

    private void setPersistState(WcacheRecords.PersistTask task, WcacheRecords.PersistState state) {
        WcacheRecords.File f = t.files.load(NamespacePath.of(task.getPath()), task.getFileId());
        if (f != null && f.getState() == WcacheRecords.FileState.COMMITTED && f.getPersistState() != state) {
            t.store.saveRecord(f.toBuilder().setPersistState(state).build());
        }
    }

    private static boolean isCurrent(WcacheRecords.PersistTask stored, PersistTask task) {
        return stored != null && stored.getGeneration() == task.generation() && stored.getFileId() == task.fileId()
                && (stored.getKind() == WcacheRecords.TaskKind.UFS_DELETE) == (task.kind() == TaskKind.DELETE);
    }

    /** A superseded task's holder gives its lease back so the newer task becomes due now. */
    private void releaseLease(WcacheRecords.PersistTask stored, PersistTask finished) {
        if (stored != null && finished.leaseOwner().isPresent() && stored.hasLeaseOwner()
                && stored.getLeaseOwner().equals(finished.leaseOwner().get())) {
            t.store.saveRecord(stored.toBuilder().clearLeaseOwner().clearLeaseExpiryMs().setNextAttemptTimeMs(t.now).build());
        }
    }
}
