package io.wcache.worker.cache;

import io.wcache.core.path.NamespacePath;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Striped, asynchronous per-path mutual exclusion for the steps that must not interleave on one
 * path in this worker: a commit, a delete, and a read-through load installing a UFS object (which
 * must never overwrite a newer write). Acquiring returns a future, so no caller thread blocks;
 * a waiter is woken on another thread, never on the pipeline's completion thread that released
 * the previous holder (it must not publish from there: a full ring would deadlock).
 */
final class PathLocks {

    /** One stripe: a FIFO mutex whose waiters are futures. */
    static final class Mutex {
        private boolean held;
        private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();

        synchronized CompletableFuture<Void> acquire() {
            if (!held) {
                held = true;
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiters.add(f);
            return f;
        }

        void release() {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiters.poll();
                if (next == null) {
                    held = false;
                    return;
                }
            }
            next.completeAsync(() -> null);
        }
    }

    private final Mutex[] stripes;

    PathLocks(int count) {
        stripes = new Mutex[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Mutex();
        }
    }

    Mutex of(NamespacePath path) {
        return stripes[Math.floorMod(path.hashCode() * 0x9E3779B9, stripes.length)];
    }
}
