package io.wcache.worker.persist;

import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.PersistTask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simple, correct, single-threaded persister: it claims due tasks from the Catalog's persist
 * queue and performs them one at a time with {@link FileUploader} (uploads and UFS deletes in the
 * queue's per-path order), rescheduling failures with exponential backoff. Only tests build it,
 * to drain the queue by hand; a running worker runs {@link AsyncPersister} (parallel uploads,
 * stats), switched by {@link io.wcache.worker.WorkerOptions#runPersister()}.
 */
public final class PersistDrain implements io.wcache.worker.Persister {

    private static final Logger LOG = LoggerFactory.getLogger(PersistDrain.class);
    private static final Duration LEASE = Duration.ofMinutes(5);

    private final Catalog catalog;
    private final FileUploader uploader;
    private final String owner;
    private final Duration initialRetry;
    private final Duration maxRetry;
    private final Clock clock;
    private ScheduledExecutorService timer;

    public PersistDrain(Catalog catalog, FileUploader uploader, String owner, Duration initialRetry, Duration maxRetry) {
        this.catalog = catalog;
        this.uploader = uploader;
        this.owner = owner;
        this.initialRetry = initialRetry;
        this.maxRetry = maxRetry;
        this.clock = Clock.systemUTC();
    }

    /** Polls the queue every {@code period} on a daemon thread. */
    @Override
    public synchronized void start(Duration period) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wcache-persist-drain");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                while (drainOnce() > 0) {
                    // keep going while work is due
                }
            } catch (RuntimeException e) {
                LOG.warn("event=persist_drain_failed error={}", e.toString());
            }
        }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Claims and performs the tasks due now; returns how many were attempted. */
    public synchronized int drainOnce() {
        List<PersistTask> tasks = catalog.persistQueue().claimTasks(owner, LEASE, 32);
        for (PersistTask t : tasks) {
            try {
                uploader.perform(t);
            } catch (RuntimeException e) {
                long backoff = Math.min(maxRetry.toMillis(), initialRetry.toMillis() << Math.min(20, t.attempts()));
                Instant next = clock.instant().plusMillis(backoff);
                LOG.warn("event=persist_failed path={} kind={} attempts={} retry_at={} error={}", t.path(), t.kind(),
                        t.attempts() + 1, next, e.toString());
                catalog.persistQueue().reschedule(t, next, e.toString());
            }
        }
        return tasks.size();
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
