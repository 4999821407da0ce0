package io.wcache.fdb.embedded;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The future {@code commit()} returns. A client that led its own commit (see {@link VersionedStore})
 * completes it on its own thread before {@code commit()} returns. Otherwise the committing thread never
 * runs client code: it hands the completion (a {@link Runnable} that completes this future and the
 * versionstamp) either to a thread already blocked in {@link #join()} / {@link #get()}, which then runs
 * it itself, or to the transaction's executor. The second case saves a thread hand-off on the common
 * {@code commit().join()} path.
 */
final class CommitFuture extends CompletableFuture<Void> {
    private static final Object DELIVERED = new Object();

    /** Wraps the delivery so it is never confused with the waiting Thread, which is a Runnable too. */
    private record Delivery(Runnable action) {
    }

    /** null (pending, nobody waiting), the waiting Thread, a Delivery, or DELIVERED. */
    private final AtomicReference<Object> state = new AtomicReference<>();

    /** The thread that asked for the commit. */
    private final Thread client = Thread.currentThread();

    /**
     * Called once, by the thread that committed: the client's own thread when it led the commit (and
     * then runs {@code delivery} at once, having released the commit), otherwise the committer or
     * another client's thread, which never runs {@code delivery} itself.
     */
    void deliver(Runnable delivery, Executor executor) {
        if (Thread.currentThread() == client) {
            state.set(DELIVERED);
            delivery.run();
            return;
        }
        Object previous = state.getAndSet(new Delivery(delivery));
        if (previous instanceof Thread waiter) {
            LockSupport.unpark(waiter);
        } else {
            executor.execute(this::runDelivery);
        }
    }

    private void runDelivery() {
        Object s = state.get();
        if (s instanceof Delivery d && state.compareAndSet(s, DELIVERED)) {
            d.action().run();
        }
    }

    private void awaitDelivery() {
        if (isDone()) {
            return;
        }
        if (state.compareAndSet(null, Thread.currentThread())) {
            boolean interrupted = false;
            while (true) {
                Object s = state.get();
                if (s instanceof Delivery || s == DELIVERED) {
                    break;
                }
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        runDelivery();
    }

    @Override
    public Void join() {
        awaitDelivery();
        return super.join();
    }

    @Override
    public Void get() throws InterruptedException, ExecutionException {
        awaitDelivery();
        return super.get();
    }
}
