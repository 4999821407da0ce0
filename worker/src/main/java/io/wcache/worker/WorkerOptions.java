package io.wcache.worker;

import java.time.Duration;

/**
 * Assembly settings that are not user configuration keys: the worker id written into extents and
 * sessions, the ring size, the log segment size, whether the worker runs its persister ({@code persist.AsyncPersister}) and how
 * often it polls, and the largest object a read loads into the cache.
 */
public record WorkerOptions(String workerId, int ringSize, long segmentSize, boolean runPersister,
                            Duration persistPollInterval, long readThroughMaxBytes) {

    public static WorkerOptions defaults() {
        return new WorkerOptions("worker-1", 1024, 64L << 20, true, Duration.ofMillis(200), 256L << 20);
    }

    public WorkerOptions withPersister(boolean enabled) {
        return new WorkerOptions(workerId, ringSize, segmentSize, enabled, persistPollInterval, readThroughMaxBytes);
    }

    public WorkerOptions withWorkerId(String id) {
        return new WorkerOptions(id, ringSize, segmentSize, runPersister, persistPollInterval, readThroughMaxBytes);
    }

    public WorkerOptions withSegmentSize(long bytes) {
        return new WorkerOptions(workerId, ringSize, bytes, runPersister, persistPollInterval, readThroughMaxBytes);
    }
}
