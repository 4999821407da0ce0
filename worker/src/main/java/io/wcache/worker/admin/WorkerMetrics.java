package io.wcache.worker.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wcache.persister.async.PersistStats;
import io.wcache.schema.catalog.PersistQueueStats;
import io.wcache.worker.Worker;
import io.wcache.worker.persist.AsyncPersister;
import java.time.Duration;
import java.time.Instant;
import java.util.function.ToDoubleFunction;

/**
 * The worker's meters for {@code /metrics}: cache space (pinned, evictable, free), evictions,
 * persist queue depth, bytes and lag, persisted totals, and session sweep results. Components that
 * record their own meters (the write pipeline's batch sizes and sync latency, frontends) use
 * Micrometer's global registry, which the Prometheus registry joins here.
 */
public final class WorkerMetrics {

    /** Persist-queue statistics cost a metadata transaction: one snapshot serves a whole scrape. */
    private static final long QUEUE_STATS_TTL_NANOS = Duration.ofSeconds(1).toNanos();

    private final Worker worker;
    private PersistQueueStats queue;
    private long queueAt;

    private WorkerMetrics(Worker worker) {
        this.worker = worker;
    }

    /** A Prometheus registry joined to the global one, so meters recorded anywhere are scraped. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics.addRegistry(registry);
        return registry;
    }

    /** Registers the worker's gauges and counters in {@code registry}. */
    public static void bind(Worker worker, MeterRegistry registry) {
        WorkerMetrics m = new WorkerMetrics(worker);
        var store = worker.logStore();
        gauge(registry, "wcache.cache.capacity.bytes", "Configured cache capacity", m, x -> store.stats().capacityBytes());
        gauge(registry, "wcache.cache.free.bytes", "Cache bytes not used by segment files", m, x -> store.stats().freeBytes());
        gauge(registry, "wcache.cache.pinned.bytes", "Unpersisted WRITE_BACK and TRANSIENT bytes (never evicted)", m,
                x -> store.stats().pinnedBytes());
        gauge(registry, "wcache.cache.pinned.cap.bytes", "Cap on pinned bytes", m, x -> store.stats().pinnedCapBytes());
        gauge(registry, "wcache.cache.evictable.bytes", "Persisted or UFS-loaded bytes", m,
                x -> store.stats().evictableBytes());
        FunctionCounter.builder("wcache.cache.evictions", m, x -> store.stats().evictions())
                .description("Segments evicted").register(registry);
        FunctionCounter.builder("wcache.cache.compactions", m, x -> store.stats().compactions())
                .description("Segments compacted").register(registry);
        FunctionCounter.builder("wcache.log.syncs", m, x -> store.stats().syncs())
                .description("Group syncs of the log store").register(registry);
        FunctionCounter.builder("wcache.cache.corruptions", m, x -> store.stats().corruptionsSeen())
                .description("Records that failed their CRC32C or framing check (at recovery or on read)")
                .register(registry);
        gauge(registry, "wcache.recovery.versions.damaged", "Unpersisted versions restart recovery marked DAMAGED", m,
                x -> worker.recovery() == null ? 0 : worker.recovery().versionsDamaged());
        gauge(registry, "wcache.recovery.unsynced.rolled.back",
                "Paths restart recovery rolled back to the superseded version: commits whose log sync never happened", m,
                x -> worker.recovery() == null ? 0 : worker.recovery().unsyncedRolledBack());
        gauge(registry, "wcache.recovery.unsynced.rewritten",
                "Versions restart recovery wrote again from the copy their commit carried: acknowledged small writes "
                        + "whose log records did not survive", m,
                x -> worker.recovery() == null ? 0 : worker.recovery().unsyncedRewritten());
        gauge(registry, "wcache.persist.queue.depth", "Files and deletes waiting for the UFS", m, x -> x.queue().pending());
        gauge(registry, "wcache.persist.queue.bytes", "Bytes waiting for upload", m, x -> x.queue().bytesPending());
        gauge(registry, "wcache.persist.queue.retrying", "Pending tasks that failed at least once", m,
                x -> x.queue().retrying());
        gauge(registry, "wcache.persist.lag.seconds", "Age of the oldest pending persist task", m,
                x -> x.queue().oldestEnqueued().map(t -> Math.max(0, Duration.between(t, Instant.now()).toMillis()) / 1000.0)
                        .orElse(0.0));
        FunctionCounter.builder("wcache.persist.persisted", m, x -> persisterStat(worker, PersistStats::persisted))
                .description("Versions uploaded and marked PERSISTED").register(registry);
        FunctionCounter.builder("wcache.persist.persisted.bytes", m,
                        x -> persisterStat(worker, PersistStats::persistedBytes))
                .description("Bytes of versions marked PERSISTED").register(registry);
        FunctionCounter.builder("wcache.sweep.runs", m, x -> worker.sweeper().sweeps())
                .description("Session sweeps run").register(registry);
        FunctionCounter.builder("wcache.sweep.dangling.aborted", m, x -> worker.sweeper().totals().dangling())
                .description("Dangling write sessions aborted by sweeps").register(registry);
        FunctionCounter.builder("wcache.sweep.orphans.aborted", m, x -> worker.sweeper().totals().orphans())
                .description("Orphaned write sessions aborted by sweeps").register(registry);
        FunctionCounter.builder("wcache.sweep.uploads.aborted", m, x -> worker.sweeper().totals().abandonedUploads())
                .description("Abandoned multipart uploads aborted by sweeps").register(registry);
        FunctionCounter.builder("wcache.sweep.reclaimed.bytes", m, x -> worker.sweeper().totals().bytesReclaimed())
                .description("Bytes reclaimed by sweeps").register(registry);
    }

    private static void gauge(MeterRegistry r, String name, String description, WorkerMetrics m,
                              ToDoubleFunction<WorkerMetrics> f) {
        Gauge.builder(name, m, f).description(description).strongReference(true).register(r);
    }

    /** A total of the running persister; 0 when the worker runs none (nothing is uploaded). */
    private static double persisterStat(Worker worker, java.util.function.ToLongFunction<PersistStats> f) {
        return worker.persister() instanceof AsyncPersister p ? f.applyAsLong(p.stats()) : 0;
    }

    private synchronized PersistQueueStats queue() {
        long now = System.nanoTime();
        if (queue == null || now - queueAt > QUEUE_STATS_TTL_NANOS) {
            queue = worker.catalog().persistQueue().stats();
            queueAt = now;
        }
        return queue;
    }
}
