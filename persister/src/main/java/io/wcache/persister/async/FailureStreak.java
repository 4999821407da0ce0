package io.wcache.persister.async;

import java.time.Duration;

/**
 * Which failures of a job that repeats every second or so a user should see as a WARN. One
 * failure that the next run repairs (a transaction that lost a conflict) is not worth a warning;
 * a run of them is (metadata unavailable), once when the run reaches {@code warnAfter} and then
 * once per {@code interval} while it lasts. Used by one thread; not thread-safe.
 */
final class FailureStreak {
    private final int warnAfter;
    private final long intervalMs;
    private int consecutive;
    private long lastWarnMs;

    FailureStreak(int warnAfter, Duration interval) {
        if (warnAfter < 1) {
            throw new IllegalArgumentException("warnAfter must be at least 1: " + warnAfter);
        }
        this.warnAfter = warnAfter;
        this.intervalMs = interval.toMillis();
    }

    /** Records one more failure at {@code nowMs}; true when this one is to be logged as a WARN. */
    boolean failed(long nowMs) {
        consecutive++;
        if (consecutive < warnAfter) {
            return false;
        }
        if (consecutive == warnAfter || nowMs - lastWarnMs >= intervalMs) {
            lastWarnMs = nowMs;
            return true;
        }
        return false;
    }

    /** Failures in a row so far. */
    int consecutive() {
        return consecutive;
    }

    /** Records a success: the length of the run of failures it ends if that run was warned about, else 0. */
    int succeeded() {
        int ended = consecutive;
        consecutive = 0;
        return ended >= warnAfter ? ended : 0;
    }
}
