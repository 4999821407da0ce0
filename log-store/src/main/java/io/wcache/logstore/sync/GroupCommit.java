package io.wcache.logstore.sync;

import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Group commit: makes every append completed before a sync request durable, with one force per
 * round shared by all requests that arrive while a round runs. The first requester becomes the
 * leader and forces (inline for {@link #sync()}, on the force executor for {@link #syncAsync()});
 * requests arriving meanwhile wait and are served by the leader's next round, so concurrent
 * syncs cost about two forces, not one each (the BookKeeper force-write idea without a hand-off
 * on the uncontended path). Appends are numbered; a round covers every append numbered before
 * it began.
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
    private final Object lock = new Object();
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
        this.appended = appended;
        this.forcer = forcer;
        this.executor = executor;
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
        synchronized (lock) {
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
                return false;
            }
            forcing = true;
            return true;
        }
    }

    private void lead() {
        while (true) {
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
            synchronized (lock) {
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
                }
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
