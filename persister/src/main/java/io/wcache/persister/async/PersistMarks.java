package io.wcache.persister.async;

import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.PersistTask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Marks finished persist tasks in the Catalog, several in one transaction when uploads finish
 * together (group commit without a thread of its own). The first upload thread to arrive while
 * no transaction runs leads: it takes every mark waiting (at most {@link #MAX_BATCH}) and runs one
 * transaction for them; threads arriving meanwhile wait, and the next batch's leader is one of
 * them. A leader waits up to a short linger for more marks before it runs (uploads finishing
 * one by one, as under a single writer, would otherwise pay a whole transaction each); with no
 * linger it marks at once.
 *
 * <p>A batch whose transaction fails is marked again one task at a time, so one task's failure
 * fails only that task. Each caller gets its own task's outcome or failure. The same group commit
 * claims tasks before their operations run ({@code R} is what one task's transaction step answers:
 * a {@link io.wcache.schema.catalog.PersistOutcome} for a mark, a
 * {@link io.wcache.schema.catalog.TaskClaim} for a claim).
 */
final class PersistMarks<R> {

    /** Tasks marked in one transaction at most: bounds its size and its conflict surface. */
    static final int MAX_BATCH = 64;

    private final Function<List<PersistTask>, List<R>> markAll;
    private final long lingerNanos;

    /**
     * Guards what follows. Two conditions, so a mark that arrives wakes only a lingering leader
     * ({@link #company}); with one monitor and {@code notifyAll} every arrival also woke every
     * upload thread already waiting for the running transaction, to find its mark not done and
     * wait again (with 16 upload threads, up to 15 needless wake-ups per arrival).
     */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a mark arrives while the leader lingers for company. */
    private final Condition company = lock.newCondition();
    /** Signalled (all) when a batch is done and the lead is free again. */
    private final Condition finished = lock.newCondition();
    private final ArrayDeque<Mark<R>> waiting = new ArrayDeque<>();
    private boolean leading;
    private boolean lingering;
    private long transactions;
    private long marks;
    /** Times a thread waiting for another's transaction woke and had to wait again (tests). */
    private long earlyWakeups;

    private static final class Mark<R> {
        final PersistTask task;
        boolean done;
        R outcome;
        RuntimeException failure;

        Mark(PersistTask task) {
            this.task = task;
        }
    }

    /** {@code markAll}: one transaction marking every task given, outcomes in their order. */
    PersistMarks(Function<List<PersistTask>, List<R>> markAll) {
        this(markAll, 0);
    }

    /** {@code lingerNanos}: how long a leader alone waits for other marks before it runs (0: not at all). */
    PersistMarks(Function<List<PersistTask>, List<R>> markAll, long lingerNanos) {
        this.markAll = markAll;
        this.lingerNanos = Math.max(0, lingerNanos);
    }

    /** Marks {@code task} (in a transaction shared with other uploads that finished meanwhile). */
    R mark(PersistTask task) {
        Mark<R> mine = new Mark<>(task);
        List<Mark<R>> batch = new ArrayList<>();
        boolean interrupted = false;
        lock.lock();
        try {
            waiting.addLast(mine);
            if (lingering) {
                company.signal(); // a lingering leader takes this mark along
            }
            while (leading && !mine.done) {
                try {
                    finished.await();
                } catch (InterruptedException e) {
                    // The upload is done: its mark must be recorded or failed, so wait on.
                    interrupted = true;
                }
                if (leading && !mine.done) {
                    earlyWakeups++;
                }
            }
            if (!mine.done) {
                leading = true;
                waiting.remove(mine);
                batch.add(mine);
                if (lingerNanos > 0 && waiting.size() + 1 < MAX_BATCH) {
                    interrupted |= linger();
                }
                while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
                    batch.add(waiting.pollFirst());
                }
            }
        } finally {
            lock.unlock();
        }
        if (!batch.isEmpty()) {
            try {
                run(batch);
            } finally {
                lock.lock();
                try {
                    leading = false;
                    finished.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return result(mine);
    }

    /** The leader: waits (lock held by the caller) until a batch is full or the linger ends. True if interrupted. */
    private boolean linger() {
        long deadline = System.nanoTime() + lingerNanos;
        boolean interrupted = false;
        long left;
        lingering = true;
        try {
            while (waiting.size() + 1 < MAX_BATCH && (left = deadline - System.nanoTime()) > 0) {
                try {
                    company.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
        } finally {
            lingering = false;
        }
        return interrupted;
    }

    private void run(List<Mark<R>> batch) {
        List<PersistTask> tasks = new ArrayList<>(batch.size());
        for (Mark<R> m : batch) {
            tasks.add(m.task);
        }
        List<R> outcomes = null;
        RuntimeException failure = null;
        try {
            outcomes = markAll.apply(tasks);
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            // Every waiting upload must hear an answer, or its thread waits for ever.
            failure = new WcacheException.Unavailable(tasks.get(0).path().toString(), "marking persisted failed: " + e, e);
        }
        long txns = 1;
        if (failure != null && batch.size() > 1) {
            // One task's failure must not fail the others: mark each alone.
            outcomes = new ArrayList<>(batch.size());
            List<RuntimeException> failures = new ArrayList<>(batch.size());
            for (PersistTask t : tasks) {
                txns++;
                try {
                    outcomes.add(markAll.apply(List.of(t)).get(0));
                    failures.add(null);
                } catch (RuntimeException e) {
                    outcomes.add(null);
                    failures.add(e);
                } catch (Error e) {
                    outcomes.add(null);
                    failures.add(new WcacheException.Unavailable(t.path().toString(), "marking persisted failed: " + e, e));
                }
            }
            lock.lock();
            try {
                for (int i = 0; i < batch.size(); i++) {
                    Mark<R> m = batch.get(i);
                    m.outcome = outcomes.get(i);
                    m.failure = failures.get(i);
                    m.done = true;
                }
                account(txns, batch.size());
            } finally {
                lock.unlock();
            }
            return;
        }
        lock.lock();
        try {
            for (int i = 0; i < batch.size(); i++) {
                Mark<R> m = batch.get(i);
                if (failure != null) {
                    m.failure = failure;
                } else {
                    m.outcome = outcomes.get(i);
                }
                m.done = true;
            }
            account(txns, batch.size());
        } finally {
            lock.unlock();
        }
    }

    private void account(long txns, int n) {
        transactions += txns;
        marks += n;
    }

    private static <R> R result(Mark<R> m) {
        if (m.failure != null) {
            throw m.failure;
        }
        return m.outcome;
    }

    /** Marking transactions run so far (observability, tests). */
    long transactions() {
        return locked(() -> transactions);
    }

    /** Tasks marked so far. */
    long marks() {
        return locked(() -> marks);
    }

    /** Times a thread waiting for another's transaction woke and had to wait again (tests). */
    long earlyWakeups() {
        return locked(() -> earlyWakeups);
    }

    /** Threads waiting for their mark now (tests). */
    int waiting() {
        return locked(waiting::size);
    }

    private <T> T locked(Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }
}
