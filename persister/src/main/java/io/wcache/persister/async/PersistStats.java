package io.wcache.persister.async;

import java.time.Duration;

/**
 * A snapshot of the persister for {@code wcadm async-persist stat}. Counts of work known to this
 * persister (the fast path plus durable tasks it has claimed): {@code queued} waiting for a
 * thread or behind an earlier operation on the same path, {@code inFlight} running against the
 * UFS, {@code retrying} waiting out a backoff. Totals since start: failed attempts, objects
 * persisted (uploads) and their bytes, deletes done, operations skipped as superseded, fast-path events left to
 * the durable queue. {@code oldestPendingAge} and {@code bytesPending} cover the pending work;
 * the rates are over the last {@link #RATE_WINDOW}.
 */
public record PersistStats(int queued, int inFlight, int retrying, long failedAttempts, long persisted, long deleted,
                           long superseded, long droppedEvents, Duration oldestPendingAge, long bytesPending,
                           double objectsPerSecond, double bytesPerSecond, long persistedBytes) {

    public static final Duration RATE_WINDOW = Duration.ofSeconds(10);

    /** Pending operations of every state. */
    public int pending() {
        return queued + inFlight + retrying;
    }
}
