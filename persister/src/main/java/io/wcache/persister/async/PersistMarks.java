package io.wcache.persister.async;

import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.PersistTask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks finished persist tasks in the Catalog, several in one transaction when uploads finish
 * together (group commit without a thread of its own). The first thread to arrive while no
 * transaction runs leads: it takes every mark waiting (at most {@link #MAX_BATCH}) and runs one
 * transaction for them, then the next batch, until none is left; marks arriving meanwhile join
 * the next batch. A leader waits up to a short linger for more marks before each batch (uploads
 * finishing one by one, as under a single writer, would otherwise pay a whole transaction each);
 * with no linger it marks at once.
 *
 * <p>A caller either waits for its own mark ({@link #mark}) or hands it over with what to do once
 * it is recorded ({@link #markThen}) and goes on: an upload thread then starts its next upload
 * instead of waiting for the transaction (and the linger) that marks the last one. Only a thread
 * that finds no leader runs transactions.
 *
 * <p>A batch whose transaction fails is marked again one task at a time, so one task's failure
 * fails only that task. Each caller gets its own task's outcome or failure. The same group commit
 * claims tasks before their operations run ({@code R} is what one task's transaction step answers:
 * a {@link io.wcache.schema.catalog.PersistOutcome} for a mark, a
 * {@link io.wcache.schema.catalog.TaskClaim} for a claim).
 */
final class PersistMarks<R> {

    private static final Logger LOG = LoggerFactory.getLogger(PersistMarks.class);

    /** Tasks marked in one transaction at most: bounds its size and its conflict surface. */
    static final int MAX_BATCH = 64;

    private final Function<List<PersistTask>, List<R>> markAll;
    private final long lingerNanos;

    /**
     * Guards what follows. A waiting caller waits on a condition of its own, signalled when its
     * mark is done, and a lingering leader on {@link #company}: an arrival wakes only a lingering
     * leader, a finished batch only its own waiters (with one monitor and {@code notifyAll} every
     * arrival woke every thread already waiting, to find its mark not done and wait again).
     */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a mark arrives while the leader lingers for company. */
    private final Condition company = lock.newCondition();
    private final ArrayDeque<Mark<R>> waiting = new ArrayDeque<>();
    private boolean leading;
    private boolean lingering;
    private long transactions;
    private long marks;
    /** Times a thread waiting for its mark woke and had to wait again (tests). */
    private long earlyWakeups;

    private static final class Mark<R> {
        final PersistTask task;
        /** What runs once the mark is decided; null when the caller waits for it. */
        final BiConsumer<R, RuntimeException> then;
        /** The waiting caller's own condition (null until it waits). */
        Condition wake;
        boolean done;
        R outcome;
        RuntimeException failure;

        Mark(PersistTask task, BiConsumer<R, RuntimeException> then) {
            this.task = task;
            this.then = then;
        }
    }

    /** {@code markAll}: one transaction marking every task given, outcomes in their order. */
    PersistMarks(Function<List<PersistTask>, List<R>> markAll) {
        this(markAll, 0);
    }

    /** {@code lingerNanos}: how long a leader waits for other marks before a batch (0: not at all). */
    PersistMarks(Function<List<PersistTask>, List<R>> markAll, long lingerNanos) {
        this.markAll = markAll;
        this.lingerNanos = Math.max(0, lingerNanos);
    }

    /** Marks {@code task} (in a transaction shared with other uploads that finished meanwhile) and returns its outcome. */
    R mark(PersistTask task) {
        Mark<R> mine = new Mark<>(task, null);
        if (enqueue(mine)) {
            lead();
        } else {
            await(mine);
        }
        return result(mine);
    }

    /**
     * Marks {@code task} like {@link #mark}, but without waiting for it unless no transaction runs:
     * {@code then} gets the outcome, or the failure, on the thread that ran the transaction (this
     * one, if it finds no leader and leads). {@code then} must not block for long: the marks of the
     * batches after it wait for it.
     */
    void markThen(PersistTask task, BiConsumer<R, RuntimeException> then) {
        if (enqueue(new Mark<>(task, then))) {
            lead();
        }
    }

    /** Queues {@code m}; true if the caller is to lead (no transaction runs). */
    private boolean enqueue(Mark<R> m) {
        lock.lock();
        try {
            waiting.addLast(m);
            if (lingering) {
                company.signal(); // a lingering leader takes this mark along
            }
            if (leading) {
                return false;
            }
            leading = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A waiting caller: until its mark is done (an interrupt does not end the wait: the upload is done, its mark must be decided). */
    private void await(Mark<R> mine) {
        boolean interrupted = false;
        lock.lock();
        try {
            while (!mine.done) {
                if (mine.wake == null) {
                    mine.wake = lock.newCondition();
                }
                try {
                    mine.wake.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (!mine.done) {
                    earlyWakeups++;
                }
            }
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The leader: batch after batch until no mark waits. */
    private void lead() {
        boolean interrupted = false;
        while (true) {
            List<Mark<R>> batch = new ArrayList<>();
            lock.lock();
            try {
                if (waiting.isEmpty()) {
                    leading = false;
                    break;
                }
                if (lingerNanos > 0 && waiting.size() < MAX_BATCH) {
                    interrupted |= linger();
                }
                while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
                    batch.add(waiting.pollFirst());
                }
            } finally {
                lock.unlock();
            }
            try {
                run(batch);
            } catch (Error e) {
                // The lead is free again for the next arrival; this batch's marks were answered.
                lock.lock();
                try {
                    leading = false;
                } finally {
                    lock.unlock();
                }
                throw e;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The leader: waits (lock held by the caller) until a batch is full or the linger ends. True if interrupted. */
    private boolean linger() {
        long deadline = System.nanoTime() + lingerNanos;
        boolean interrupted = false;
        long left;
        lingering = true;
        try {
            while (waiting.size() < MAX_BATCH && (left = deadline - System.nanoTime()) > 0) {
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
            // Every mark must hear an answer, or a waiting upload waits for ever.
            failure = new WcacheException.Unavailable(tasks.get(0).path().toString(), "marking persisted failed: " + e, e);
        }
        long txns = 1;
        List<RuntimeException> failures = new ArrayList<>(batch.size());
        if (failure != null && batch.size() > 1) {
            // One task's failure must not fail the others: mark each alone.
            outcomes = new ArrayList<>(batch.size());
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
        } else {
            for (int i = 0; i < batch.size(); i++) {
                failures.add(failure);
            }
        }
        lock.lock();
        try {
            for (int i = 0; i < batch.size(); i++) {
                Mark<R> m = batch.get(i);
                m.failure = failures.get(i);
                m.outcome = m.failure == null ? outcomes.get(i) : null;
                m.done = true;
                if (m.wake != null) {
                    m.wake.signal();
                }
            }
            transactions += txns;
            marks += batch.size();
        } finally {
            lock.unlock();
        }
        for (Mark<R> m : batch) {
            if (m.then != null) {
                try {
                    m.then.accept(m.outcome, m.failure);
                } catch (RuntimeException | AssertionError e) {
                    // One upload's follow-up failing must not keep the others' from running.
                    LOG.error("event=persist_mark_follow_up_failed path={} error={}", m.task.path(), e.toString(), e);
                }
            }
        }
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

    /** Times a thread waiting for its mark woke and had to wait again (tests). */
    long earlyWakeups() {
        return locked(() -> earlyWakeups);
    }

    /** Marks queued and not yet taken into a transaction (tests). */
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
