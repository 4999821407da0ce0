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
 * the transaction that marks them persisted, whether uploads transfer in the idle
 * scheduling class (off unless configured: the worker's key turns it on by default), and how long
 * uploads wait for a pause in writes ({@link Deferral}; none unless configured, as the worker's keys do).
 */
public record PersisterConfig(String owner, int threads, Backoff backoff, Duration pollInterval, Duration lease,
                              int claimBatch, int maxTrackedPaths, Duration markLinger, boolean idlePriority,
                              Deferral deferral) {

    /**
     * Uploads wait for a pause in writes: an upload handed over while writes keep arriving starts once
     * none has arrived for {@code quiet}, once it has waited {@code max}, or at once when the uploads
     * already waiting hold {@code bytes}. {@link #NONE}: every upload starts at once.
     */
    public record Deferral(Duration max, Duration quiet, long bytes) {
        public static final Deferral NONE = new Deferral(Duration.ZERO, Duration.ZERO, 0);

        public Deferral {
            if (max == null || quiet == null || max.isNegative() || quiet.isNegative() || bytes < 0) {
                throw new WcacheException.InvalidArgument(max + "/" + quiet + "/" + bytes,
                        "upload deferral needs a non-negative longest wait, pause and byte bound");
            }
        }

        /** Whether uploads wait at all. */
        public boolean enabled() {
            return !max.isZero() && !quiet.isZero() && bytes > 0;
        }
    }

    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** Longer than any single upload should take; an expired lease only means the task may run again. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(10);
    public static final int DEFAULT_CLAIM_BATCH = 512;
    public static final int DEFAULT_MAX_TRACKED_PATHS = 200_000;
    /** Under a single writer uploads finish one by one; a few milliseconds let several share a mark. */
    public static final Duration DEFAULT_MARK_LINGER = Duration.ofMillis(5);

    public PersisterConfig {
        if (deferral == null) {
            deferral = Deferral.NONE;
        }
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
                DEFAULT_CLAIM_BATCH, DEFAULT_MAX_TRACKED_PATHS, DEFAULT_MARK_LINGER, false, Deferral.NONE);
    }

    /**
     * The thread count, backoff, mark linger, idle priority and upload deferral from the worker's
     * configuration keys; the deferral's byte bound is capped at a quarter of {@code pinnedBytes} (the
     * space unpersisted data may use), so deferred uploads never bring writes near their refusal.
     */
    public static PersisterConfig from(String owner, WcacheConfig config, long pinnedBytes) {
        long bytes = Math.min(config.get(ConfigKeys.PERSIST_DEFER_BYTES), Math.max(0, pinnedBytes / 4));
        return of(owner, config.get(ConfigKeys.PERSIST_THREADS),
                new Backoff(config.get(ConfigKeys.PERSIST_RETRY_INITIAL), config.get(ConfigKeys.PERSIST_RETRY_MAX)))
                .withMarkLinger(config.get(ConfigKeys.PERSIST_MARK_LINGER))
                .withIdlePriority(config.get(ConfigKeys.PERSIST_IDLE_PRIORITY))
                .withDeferral(new Deferral(config.get(ConfigKeys.PERSIST_DEFER_MAX),
                        config.get(ConfigKeys.PERSIST_DEFER_QUIET), bytes));
    }

    public PersisterConfig withPollInterval(Duration interval) {
        return new PersisterConfig(owner, threads, backoff, interval, lease, claimBatch, maxTrackedPaths, markLinger, idlePriority, deferral);
    }

    public PersisterConfig withLease(Duration newLease) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, newLease, claimBatch, maxTrackedPaths, markLinger, idlePriority, deferral);
    }

    public PersisterConfig withMaxTrackedPaths(int max) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, max, markLinger, idlePriority, deferral);
    }

    public PersisterConfig withMarkLinger(Duration linger) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, maxTrackedPaths, linger, idlePriority, deferral);
    }

    /** Whether uploads transfer in Linux's idle scheduling class ({@link IdleScheduling}). */
    public PersisterConfig withIdlePriority(boolean idle) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, maxTrackedPaths, markLinger, idle, deferral);
    }

    /** How long uploads wait for a pause in writes ({@link Deferral#NONE}: not at all). */
    public PersisterConfig withDeferral(Deferral d) {
        return new PersisterConfig(owner, threads, backoff, pollInterval, lease, claimBatch, maxTrackedPaths, markLinger,
                idlePriority, d);
    }
}
