package io.wcache.worker.admin;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import io.wcache.pipeline.Journal;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Journal} that records the write pipeline's batch sizes (chunks per journal append) and
 * the latency of each group sync in Micrometer's global registry, which {@code /metrics} exposes.
 * Recording costs two meter updates per batch, not per chunk.
 */
public final class MeteredJournal implements Journal {

    private final Journal delegate;
    private final DistributionSummary batchChunks;
    private final Timer syncLatency;

    private MeteredJournal(Journal delegate) {
        this.delegate = delegate;
        this.batchChunks = DistributionSummary.builder("wcache.pipeline.batch.chunks")
                .description("Chunks appended by one journal batch").register(Metrics.globalRegistry);
        this.syncLatency = Timer.builder("wcache.pipeline.sync")
                .description("Latency of one group sync (fdatasync) of the log store")
                .publishPercentiles(0.5, 0.99).register(Metrics.globalRegistry);
    }

    public static Journal wrap(Journal delegate) {
        return new MeteredJournal(delegate);
    }

    @Override
    public io.wcache.logstore.space.PinnedReservation reservePinned(long bytes) {
        return delegate.reservePinned(bytes);
    }

    @Override
    public List<Location> append(List<Chunk> chunks) {
        batchChunks.record(chunks.size());
        long start = System.nanoTime();
        try {
            return delegate.append(chunks);
        } finally {
            Stages.since(Stage.LOG_APPEND, start);
        }
    }

    @Override
    public void sync() {
        long start = System.nanoTime();
        try {
            delegate.sync();
        } finally {
            long nanos = System.nanoTime() - start;
            syncLatency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            Stages.record(Stage.LOG_SYNC, nanos);
        }
    }

    @Override
    public CompletableFuture<Void> syncAsync() {
        long start = System.nanoTime();
        return delegate.syncAsync().whenComplete((v, e) -> {
            long nanos = System.nanoTime() - start;
            syncLatency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            Stages.record(Stage.LOG_SYNC_BACKGROUND, nanos);
        });
    }

    @Override
    public void startSync() {
        delegate.startSync();
    }

    @Override
    public void release(Location location) {
        delegate.release(location);
    }

    @Override
    public void published(Location location) {
        delegate.published(location);
    }
}
