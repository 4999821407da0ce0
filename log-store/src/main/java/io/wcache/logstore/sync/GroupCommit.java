package io.wcache.logstore.sync;

import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Group commit: makes every append completed before a sync request durable, sharing each force
 * among all requests waiting for it. A requester that finds fewer than {@code maxRounds} force
 * rounds running starts one itself and leads it (inline for {@link #sync()}, on the force
 * executor for {@link #syncAsync()}); others wait and are served by a running leader's next
 * round. A lone writer thus pays one fdatasync and no thread hand-off (the BookKeeper force-write
 * idea without its queue on the uncontended path).
 *
 * <p>With {@code maxRounds == 1}, writers arriving during a force wait for it to end and then for
 * their own, so under steady concurrency they alternate in two half-sized groups. Allowing two
 * overlapping rounds lets a newcomer start a force at once; the file system merges overlapping
 * fdatasyncs of one file into shared journal commits. Rounds complete in the order they started,
 * which keeps the accounting simple: when round {@code k} completes, every append counted before
 * any round up to {@code k} started is durable.
 */
public final class GroupCommit {

    /** Forces whatever was written since the last round (all dirty files). */
    @FunctionalInterface
    public interface Forcer {
        void forceAll() throws IOException;
    }

    private record Waiter(long target, CompletableFuture<Void> future) {
    }

    private final LongSupplier appended;
    private final Forcer forcer;
    private final Executor executor;
    private final int maxRounds;
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition roundCompleted = lock.newCondition();
    // guarded by lock
    private int running;
    private long nextTicket;
    private long completedTicket = -1;
    private long durable;
    private long latestSnapshot;
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile WcacheException failure;

    /** One round at a time. */
    public GroupCommit(LongSupplier appended, Forcer forcer, Executor executor) {
        this(appended, forcer, executor, 1);
    }

    /**
     * @param appended  the number of appends completed so far (monotonic)
     * @param forcer    forces all files written since the previous round; safe to call concurrently
     * @param executor  runs rounds led on behalf of asynchronous requesters
     * @param maxRounds how many force rounds may overlap (1 or more)
     */
    public GroupCommit(LongSupplier appended, Forcer forcer, Executor executor, int maxRounds) {
        if (maxRounds < 1) {
            throw new WcacheException.InvalidArgument("syncConcurrency", "at least one force round is needed: " + maxRounds);
        }
        this.appended = appended;
        this.forcer = forcer;
        this.executor = executor;
        this.maxRounds = maxRounds;
    }

    /** Completes once everything appended before the call is durable. */
    public CompletableFuture<Void> syncAsync() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (enqueue(f)) {
            executor.execute(this::lead);
        }
        return f;
    }

    /** Blocks until everything appended before the call is durable. */
    public void sync() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (enqueue(f)) {
            lead();
        }
        try {
            f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /** Force rounds run so far. */
    public long rounds() {
        return rounds.get();
    }

    /** Sync requests received so far. */
    public long requests() {
        return requests.get();
    }

    /** The failure that made the log unusable, or null. After a failed force nothing is known durable. */
    public WcacheException failure() {
        return failure;
    }

    /** Registers a waiter; returns true when the caller must lead a round. */
    private boolean enqueue(CompletableFuture<Void> f) {
        requests.incrementAndGet();
        long target = appended.getAsLong();
        lock.lock();
        try {
            if (failure != null) {
                f.completeExceptionally(failure);
                return false;
            }
            if (durable >= target) {
                f.complete(null);
                return false;
            }
            waiters.add(new Waiter(target, f));
            if (running >= maxRounds) {
                return false;
            }
            running++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void lead() {
        while (true) {
            long ticket;
            long covered;
            lock.lock();
            try {
                // Take the ticket and the snapshot together, so tickets and snapshots ascend together.
                ticket = nextTicket++;
                covered = appended.getAsLong();
                latestSnapshot = covered;
            } finally {
                lock.unlock();
            }
            WcacheException error = null;
            try {
                forcer.forceAll();
                rounds.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                error = new WcacheException.Unavailable("log-store", "fdatasync failed: " + e, e);
            }
            List<Waiter> done = new ArrayList<>();
            boolean again = false;
            lock.lock();
            try {
                // Complete in start order: an earlier round may still be forcing a file that this
                // round found clean because the earlier one had already taken it.
                while (completedTicket != ticket - 1) {
                    roundCompleted.awaitUninterruptibly();
                }
                completedTicket = ticket;
                roundCompleted.signalAll();
                if (error != null && failure == null) {
                    // After a failed fdatasync the kernel may have dropped dirty pages: nothing
                    // unsynced can be called durable any more, so every later sync fails too.
                    failure = error;
                }
                if (failure != null) {
                    done.addAll(waiters);
                    waiters.clear();
                } else {
                    durable = Math.max(durable, covered);
                    waiters.removeIf(w -> {
                        if (w.target() <= durable) {
                            done.add(w);
                            return true;
                        }
                        return false;
                    });
                    // Lead again only if some waiter is not covered by a round still running.
                    again = waiterNotCovered();
                }
                if (!again) {
                    running--;
                }
            } finally {
                lock.unlock();
            }
            WcacheException f = failure;
            for (Waiter w : done) {
                if (f != null) {
                    w.future().completeExceptionally(f);
                } else {
                    w.future().complete(null);
                }
            }
            if (!again) {
                return;
            }
        }
    }

    /** Whether a waiter registered after the newest running round took its snapshot (guarded by lock). */
    private boolean waiterNotCovered() {
        for (Waiter w : waiters) {
            if (w.target() > latestSnapshot) {
                return true;
            }
        }
        return false;
    }
}
