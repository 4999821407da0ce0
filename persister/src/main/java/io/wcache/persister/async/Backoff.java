package io.wcache.persister.async;

import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential retry delays with jitter: attempt {@code n} (1 for the first failure) waits a
 * random time in {@code [d/2, d]} where {@code d = min(max, initial * 2^(n-1))}. The lower half is
 * kept so that a retry never comes back sooner than half the nominal delay, and the random upper
 * half spreads retries of many objects that failed together (a UFS outage) over time.
 */
public record Backoff(Duration initial, Duration max) {

    public Backoff {
        if (initial.isNegative() || initial.isZero()) {
            throw new WcacheException.InvalidArgument(String.valueOf(initial), "retry initial interval must be positive");
        }
        if (max.compareTo(initial) < 0) {
            throw new WcacheException.InvalidArgument(String.valueOf(max),
                    "retry max interval " + max + " is below the initial interval " + initial);
        }
    }

    /** The nominal (jitter-free) delay before retry number {@code attempt}, 1-based. */
    public Duration nominal(int attempt) {
        int doublings = Math.max(0, Math.min(attempt - 1, 62));
        long initialMs = initial.toMillis();
        long maxMs = max.toMillis();
        // Saturate instead of overflowing: 2^62 ms is far beyond any sane max.
        long ms = doublings >= 62 || initialMs > (maxMs >> doublings) ? maxMs : initialMs << doublings;
        return Duration.ofMillis(Math.min(ms, maxMs));
    }

    /** The delay before retry number {@code attempt} with jitter drawn from {@code random}. */
    public Duration delay(int attempt, RandomGenerator random) {
        long d = nominal(attempt).toMillis();
        long half = d / 2;
        return Duration.ofMillis(half + (d - half == 0 ? 0 : random.nextLong(d - half + 1)));
    }
}
