package io.wcache.logstore.sync;

import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Group commit: makes every append completed before a sync request durable, with one force per
 * round shared by all requests that arrive while a round runs. The first requester becomes the
 * leader and forces (inline for {@link #sync()}, on the force executor for {@link #syncAsync()});
 * requests arriving meanwhile wait and are served by the leader's next round, so concurrent
 * syncs cost about two forces, not one each (the BookKeeper force-write idea without a hand-off
 * on the uncontended path). Appends are numbered; a round covers every append numbered before
 * it began.
 *
 * <p>Under concurrency a leader that starts its next round at once only serves the writers that
 * arrived during the previous force, so writers alternate between two half-sized groups. When the
 * previous round involved several writers (served, or arriving during it), the leader therefore
 * waits up to {@code maxGroupDelay} for that many to be waiting (like PostgreSQL's {@code commit_delay} with
 * {@code commit_siblings}); a lone writer never waits.
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
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final long maxGroupDelayNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    // guarded by lock
    private int lastGroup;
    // guarded by lock
    private boolean forcing;
    private long durable;
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile WcacheException failure;

    /**
     * @param appended the number of appends completed so far (monotonic)
     * @param forcer   forces all files written since the previous round
     * @param executor runs rounds led on behalf of asynchronous requesters
     */
    public GroupCommit(LongSupplier appended, Forcer forcer, Executor executor) {
        this(appended, forcer, executor, 0);
    }

    /** As above, with the longest wait for a group to re-form under concurrency ({@code 0}: never wait). */
    public GroupCommit(LongSupplier appended, Forcer forcer, Executor executor, long maxGroupDelayNanos) {
        this.appended = appended;
        this.forcer = forcer;
        this.executor = executor;
        this.maxGroupDelayNanos = maxGroupDelayNanos;
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
        } catch (java.util.concurrent.CompletionException e) {
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
            if (forcing) {
                arrived.signal();
                return false;
            }
            forcing = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held before a follow-on round: lets the last group re-form, briefly. */
    private void awaitGroup() {
        if (maxGroupDelayNanos <= 0 || lastGroup < 2) {
            return;
        }
        long left = maxGroupDelayNanos;
        while (waiters.size() < lastGroup && left > 0) {
            try {
                left = arrived.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void lead() {
        boolean followOn = false;
        while (true) {
            if (followOn) {
                lock.lock();
                try {
                    awaitGroup();
                } finally {
                    lock.unlock();
                }
            }
            followOn = true;
            long covered = appended.getAsLong();
            WcacheException error = null;
            try {
                forcer.forceAll();
                rounds.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                error = new WcacheException.Unavailable("log-store", "fdatasync failed: " + e, e);
            }
            List<Waiter> done = new ArrayList<>();
            boolean again;
            lock.lock();
            try {
                if (error != null) {
                    // After a failed fdatasync the kernel may have dropped dirty pages: nothing
                    // unsynced can be called durable any more, so every later sync fails too.
                    failure = error;
                    done.addAll(waiters);
                    waiters.clear();
                    forcing = false;
                    again = false;
                } else {
                    durable = Math.max(durable, covered);
                    waiters.removeIf(w -> {
                        if (w.target() <= durable) {
                            done.add(w);
                            return true;
                        }
                        return false;
                    });
                    again = !waiters.isEmpty();
                    forcing = again;
                    // everyone active now: those just served and those already waiting again
                    lastGroup = done.size() + waiters.size();
                }
            } finally {
                lock.unlock();
            }
            for (Waiter w : done) {
                if (error != null) {
                    w.future().completeExceptionally(error);
                } else {
                    w.future().complete(null);
                }
            }
            if (!again) {
                return;
            }
        }
    }
}
