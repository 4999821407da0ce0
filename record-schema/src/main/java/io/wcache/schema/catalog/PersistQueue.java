package io.wcache.schema.catalog;

import com.apple.foundationdb.record.IsolationLevel;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The Catalog's persist queue ({@link Catalog#persistQueue()}): the UFS work (uploads of
 * {@code WRITE_BACK} versions, deletes) that commits and deletes leave, at most one task per path,
 * claimed under a lease by a persister and finished or rescheduled by it. Each method is one
 * transaction.
 */
public final class PersistQueue {

    /**
     * How far below the oldest due task (or the scan's time) the next due scan begins. A task is
     * queued due at its transaction's start, and no transaction commits later than the metadata
     * engine's five-second window after it started; one second more covers a clock step. A task
     * due earlier still (another worker's clock behind this one's) waits for a full scan.
     */
    static final long FLOOR_SLACK_MS = 6_000;
    /** How often a due scan begins at the index's start instead of at the floor. */
    static final Duration FULL_SCAN_EVERY = Duration.ofMinutes(1);

    private final CatalogTransactions transactions;
    /**
     * Where due scans begin ({@link Long#MIN_VALUE}: at the start). Every task finished or claimed
     * leaves a deleted entry in the due index, and the metadata engine steps over each deleted entry
     * a scan meets until its storage compacts them away, which it cannot do while it keeps older
     * versions for reads: scanned from the start, one poll stepped over every task finished since.
     */
    private volatile long dueFloorMs = Long.MIN_VALUE;
    private volatile long nextFullScanNanos = System.nanoTime();
    private volatile long fullScanEveryNanos = FULL_SCAN_EVERY.toNanos();

    PersistQueue(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    /**
     * From now on a {@code WRITE_BACK} commit through this Catalog leases the upload it queues to
     * {@code owner} (this worker's persister) until the commit's time + {@code lease}, in the commit's
     * own transaction, so the persister starts the upload without a claim transaction of its own
     * ({@link CommitResult#uploadLeasedUntil}). Not when another lease on the path still runs (the
     * new task keeps that one, as always) nor for a version with replicas (see
     * {@code SessionWrites.settleUfsWork}). {@code owner} null: commits lease nothing again.
     */
    public void leaseUploadsAtCommit(String owner, Duration lease) {
        transactions.commitLease(owner == null ? null : new CommitLease(owner, lease));
    }

    /** Tasks whose next attempt is due at {@code now}, oldest first. */
    public List<PersistTask> dueTasks(Instant now, int limit) {
        long scanNanos = System.nanoTime();
        boolean full = scanNanos - nextFullScanNanos >= 0;
        long from = full ? Long.MIN_VALUE : dueFloorMs;
        List<PersistTask> due = transactions.run(t -> t.tasks.due(from, now.toEpochMilli(), limit, IsolationLevel.SERIALIZABLE)
                .stream().map(RecordMapping::task).toList());
        // Oldest first, and none due after now.
        long oldest = due.isEmpty() ? now.toEpochMilli() : due.get(0).nextAttemptTime().toEpochMilli();
        dueFloorMs = Math.max(from, oldest - FLOOR_SLACK_MS);
        if (full) {
            nextFullScanNanos = scanNanos + fullScanEveryNanos;
        }
        return due;
    }

    /** Where the next due scan that is not a full one begins, in epoch ms; {@link Long#MIN_VALUE}: at the start (tests). */
    long dueFloorMs() {
        return dueFloorMs;
    }

    /** Sets how often a due scan is a full one, from the next scan on (tests). */
    void fullScanEvery(Duration every) {
        fullScanEveryNanos = every.toNanos();
        nextFullScanNanos = System.nanoTime() + fullScanEveryNanos;
    }

    /**
     * Claims up to {@code limit} due tasks for {@code owner} until {@code now + lease}: they are not
     * due again before the lease expires, and an upload's file becomes {@code PERSISTING}. A task
     * under another persister's running lease is skipped; one under {@code owner}'s own (its commit's,
     * {@link #leaseUploadsAtCommit}) is claimed again.
     */
    public List<PersistTask> claimTasks(String owner, Duration lease, int limit) {
        return claimTasks(owner, lease, limit, null);
    }

    /**
     * As {@link #claimTasks(String, Duration, int)}, taking only uploads whose bytes {@code holder}
     * holds (their first extent is in its log; an empty file is anyone's) and deletes: in a
     * cluster, each worker's persister uploads what it holds. {@code null}: any task.
     */
    public List<PersistTask> claimTasks(String owner, Duration lease, int limit, String holder) {
        return claimTasks(owner, lease, limit, holder, null);
    }

    /**
     * As {@link #claimTasks(String, Duration, int, String)}, skipping due tasks {@code wanted} refuses
     * (a persister's own: those it is uploading or has queued already). A claim of a task its
     * persister is about to mark persisted only conflicts with that mark. {@code null}: every task.
     */
    public List<PersistTask> claimTasks(String owner, Duration lease, int limit, String holder,
                                        java.util.function.Predicate<PersistTask> wanted) {
        // Unsynced: a claim lost in a crash leaves the task due again, and it is claimed again.
        long from = dueFloorMs;
        return transactions.runUnsynced(t -> t.tasks.claim(from, owner, lease, limit, holder, wanted));
    }

    /**
     * Claims {@code task} alone before its UFS operation runs (the write path hands tasks to
     * persisters without a lease): one persister at a time runs an operation of a path, across
     * workers too, so an upload still running on one worker never lands after a delete or a newer
     * upload of the path on another. See {@link TaskClaim} for the outcomes; a lease held by
     * {@code takeOverFrom} (a worker known to be gone; null: none) is taken over.
     */
    public TaskClaim claim(PersistTask task, String owner, Duration lease, String takeOverFrom) {
        // Unsynced, as claimTasks: a claim lost in a crash ended with the operation it guarded.
        return transactions.runUnsynced(t -> t.tasks.claimOne(task, owner, lease, takeOverFrom));
    }

    /**
     * As {@link #claim} with no lease taken over, for each of {@code tasks} in one transaction (the
     * operations that start together share it); the claims are in the order of {@code tasks}.
     */
    public List<TaskClaim> claim(List<PersistTask> tasks, String owner, Duration lease) {
        return transactions.runUnsynced(t -> {
            List<TaskClaim> out = new java.util.ArrayList<>(tasks.size());
            for (PersistTask task : tasks) {
                out.add(t.tasks.claimOne(task, owner, lease, null));
            }
            return out;
        });
    }

    /**
     * Takes the path's lease for a synchronous object-store write of it ({@code WRITE_THROUGH},
     * {@code NO_CACHE}) so that no persister's operation of the path, on any worker, runs until
     * {@link #releasePath}: see {@link PathLease}. A lease held by {@code takeOverFrom} (a worker
     * known to be gone; null: none) is taken over.
     */
    public PathLease leasePath(NamespacePath path, String owner, Duration lease, String takeOverFrom) {
        return transactions.runUnsynced(t -> t.tasks.leasePath(path.toString(), owner, lease, takeOverFrom));
    }

    /**
     * Gives back what {@link #leasePath} took once the write is over: a placeholder still there is
     * removed, a task still under this lease is due again at once. A commit of the write replaced
     * both already.
     */
    public void releasePath(NamespacePath path, String owner, PathLease taken) {
        if (taken.kind() == PathLease.Kind.PLACEHOLDER || taken.kind() == PathLease.Kind.LEASED) {
            transactions.runUnsynced(t -> {
                t.tasks.releasePath(path.toString(), owner, taken);
                return null;
            });
        }
    }

    /**
     * Extends {@code owner}'s leases on the tasks of {@code paths} to now + {@code lease}, in one
     * transaction: a persister renews the leases of the operations it is running, so one that
     * outlives a lease (a very large upload) still holds its path. The paths where it holds none
     * any more are returned.
     */
    public List<NamespacePath> renewLeases(List<NamespacePath> paths, String owner, Duration lease) {
        if (paths.isEmpty()) {
            return List.of();
        }
        return transactions.runUnsynced(t -> {
            List<NamespacePath> lost = new java.util.ArrayList<>();
            for (NamespacePath p : paths) {
                if (!t.tasks.renew(p.toString(), owner, lease)) {
                    lost.add(p);
                }
            }
            return lost;
        });
    }

    /**
     * Records that a claimed task's UFS work is done. An upload marks the file {@code PERSISTED},
     * and moves its bytes from pinned to evictable, only if its generation is still the path's
     * current one; otherwise the outcome is {@code SUPERSEDED} and the newer task stays queued.
     */
    public PersistOutcome markPersisted(PersistTask task) {
        return transactions.runUnsynced(t -> t.tasks.markPersisted(task));
    }

    /**
     * As {@link #markPersisted(PersistTask)} for each of {@code tasks}, all in one transaction: the
     * persister's uploads that finish together share one store open and one commit. The outcomes
     * are in the order of {@code tasks}; each task is decided as it would be alone (a task of a
     * path whose generation moved on is {@code SUPERSEDED}).
     */
    public List<PersistOutcome> markPersisted(List<PersistTask> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        // Unsynced: a mark lost in a crash uploads the same version again. Nothing acts on a
        // PERSISTED mark outside the Catalog before a later synced commit (eviction releases the
        // bytes in one), which makes the mark durable first.
        return transactions.runUnsynced(t -> {
            List<PersistOutcome> out = new java.util.ArrayList<>(tasks.size());
            for (PersistTask task : tasks) {
                out.add(t.tasks.markPersisted(task));
            }
            return out;
        });
    }

    /**
     * Records a failed attempt: the task's attempt count grows, it is due again at
     * {@code nextAttempt}, and {@code error} is kept as its last error. Empty if the task was
     * superseded meanwhile.
     */
    public Optional<PersistTask> reschedule(PersistTask task, Instant nextAttempt, String error) {
        return transactions.runUnsynced(t -> t.tasks.reschedule(task, nextAttempt, error));
    }

    /** Every pending task in path order (for {@code wcadm async-persist list}), at most {@code limit}. */
    public List<PersistTask> pendingTasks(int limit) {
        return transactions.run(t -> t.tasks.all(limit).stream().map(RecordMapping::task).toList());
    }

    /**
     * Counts over the whole queue (one scan of the task records, so its cost grows with the queue;
     * meant for operators, not for a hot path).
     */
    public PersistQueueStats stats() {
        return transactions.run(t -> {
            long pending = 0;
            long leased = 0;
            long retrying = 0;
            long bytes = 0;
            long failed = 0;
            long oldest = Long.MAX_VALUE;
            for (WcacheRecords.PersistTask task : t.tasks.all(Integer.MAX_VALUE)) {
                pending++;
                boolean isLeased = task.hasLeaseExpiryMs() && task.getLeaseExpiryMs() > t.now;
                if (isLeased) {
                    leased++;
                } else if (task.getAttempts() > 0) {
                    retrying++;
                }
                if (task.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                    bytes += task.getSize();
                }
                failed += task.getAttempts();
                oldest = Math.min(oldest, task.getEnqueuedTimeMs());
            }
            return new PersistQueueStats(pending, leased, retrying, bytes, failed,
                    oldest == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest)));
        });
    }
}
