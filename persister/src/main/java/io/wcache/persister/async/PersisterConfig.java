package io.wcache.persister.async;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import java.time.Duration;

/**
 * How a {@link Persister} runs: the worker id it claims durable tasks as, how many UFS operations
 * run at once, the retry backoff, how often the durable queue is polled, how long a claim lasts,
 * how many tasks one claim takes, how many paths the in-memory fast path may track before it
 * leaves new work to the durable queue, how long a finished upload waits for others to share
 * the transaction that marks them persisted, and whether uploads transfer in the idle
 * scheduling class (off unless configured: the worker's key turns it on by default).
 */
public record PersisterConfig(String owner, int threads, Backoff backoff, Duration pollInterval, Duration lease,
                              int claimBatch, int maxTrackedPaths, Duration markLinger, boolean idlePriority) {

    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** Longer than any single upload should take; an expired lease only means the task may run again. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(10);
    public static final int DEFAULT_CLAIM_BATCH = 512;
    public static final int DEFAULT_MAX_TRACKED_PATHS = 200_000;
    /** Under a single writer uploads finish one by one; a few milliseconds let several share a mark. */
    public static final Duration DEFAULT_MARK_LINGER = Duration.ofMillis(5);

    public PersisterConfig {
        if (owner == null || owner.isEmpty()) {
            throw new WcacheException.InvalidArgument("owner", "a persister needs a worker id to claim tasks as");
        }
        if (threads < 1) {
            throw new WcacheException.InvalidArgument(String.valueOf(threads), "persist thread pool size must be at least 1");
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || lease.isNegative() || lease.isZero()) {
            throw new WcacheException.InvalidArgument(pollInterval + "/" + lease, "poll interval and lease must be positive");
        }
        if (markLinger == null || markLinger.isNegative() || markLinger.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new WcacheException.InvalidArgument(String.valueOf(markLinger), "mark linger must be between 0 and 1s");
        }
        if (claimBatch < 1 || maxTrackedPaths < 1) {
            throw new WcacheException.InvalidArgument(claimBatch + "/" + maxTrackedPaths,
                    "claim batch and tracked-path limit must be at least 1");
        }
    }

    /** Defaults for everything but the owner, thread count and backoff. */
    public static PersisterConfig of(String owner, int threads, Backoff backoff) {
        return new PersisterConfig(owner, threads, backoff, DEFAULT_POLL_INTERVAL, DEFAULT_LEASE,
                DEFAULT_CLAIM_BATCH, DEFAULT_MAX_TRACKED_PATHS, DEFAULT_MARK_LINGER, false);
    }

    /** The thread count, backoff and mark linger from the worker's configuration keys. */
    public static PersisterConfig from(String owner, WcacheConfig config) {
        return of(owner, config.get(ConfigKeys.PERSIST_THREADS),
                new Backoff(config.get(ConfigKeys.PERSIST_RETRY_INITIAL), config.get(ConfigKeys.PERSIST_RETRY_MAX)))
                .withMarkLinger(config.get(ConfigKeys.PERSIST_MARK_LINGER))
                .withIdlePriority(config.get(ConfigKeys.PERSIST_IDLE_PRIORITY));
    }

    public PersisterConfig withPollInterval(Duration interval) {
        return new PersisterConfig(owner, threads, backoff, interval, lease, claimBatch, maxTrackedPaths, markLinger, idlePriority);
    }

    public PersisterConfig withLease(Duration newLease) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, newLease, claimBatch, maxTrackedPaths, markLinger, idlePriority);
    }

    public PersisterConfig withMaxTrackedPaths(int max) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, max, markLinger, idlePriority);
    }

    public PersisterConfig withMarkLinger(Duration linger) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, maxTrackedPaths, linger, idlePriority);
    }

    /** Whether uploads transfer in Linux's idle scheduling class ({@link IdleScheduling}). */
    public PersisterConfig withIdlePriority(boolean idle) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, maxTrackedPaths, markLinger, idle);
    }
}
