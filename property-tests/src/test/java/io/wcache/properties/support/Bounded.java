package io.wcache.properties.support;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one step of a property on a daemon thread under a time bound, so that a hang is reported
 * as a failure naming the step instead of stalling the build. The step's own exceptions are
 * rethrown unchanged (unchecked ones as they are, checked ones wrapped).
 */
public final class Bounded {

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bounded-step");
        t.setDaemon(true);
        return t;
    });

    private Bounded() {
    }

    public static <T> T call(String what, Duration limit, Callable<T> step) {
        Future<T> f = POOL.submit(step);
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError(what + " did not finish within " + limit + " (hang)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new RuntimeException(c);
        }
    }

    public static void run(String what, Duration limit, ThrowingRunnable step) {
        call(what, limit, () -> {
            step.run();
            return null;
        });
    }

    /** A step that may throw anything. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
