package io.wcache.worker;

import io.wcache.core.config.WcacheConfig;
import io.wcache.persister.async.Backoff;
import io.wcache.persister.async.PersistStats;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.worker.persist.AsyncPersister;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Builds worker configs for tests: everything under one temporary directory, mount {@code /m} on a local UFS. */
public final class TestWorkers {

    private TestWorkers() {
    }

    public static Path ufsDir(Path root) {
        return root.resolve("ufs");
    }

    public static WcacheConfig config(Path root, String... sets) {
        String yaml = "data.dir: " + root.toAbsolutePath() + "\n"
                + "metadata.engine: embedded:" + root.resolve("meta").toAbsolutePath() + "\n"
                + "cache.dirs: [" + root.resolve("cache").toAbsolutePath() + "]\n"
                + "cache.capacity: 256MiB\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /m\n    ufs: " + ufsDir(root).toAbsolutePath().toUri() + "\n";
        List<String> overrides = new ArrayList<>(List.of(sets));
        return WcacheConfig.fromYaml(yaml, "test config", overrides);
    }

    /** A worker without a running persister: tests drive persistence themselves ({@link #drain}). */
    public static Worker start(Path root, String... sets) {
        return Worker.start(config(root, sets), WorkerOptions.defaults().withPersister(false).withSegmentSize(4L << 20),
                List.of());
    }

    /**
     * Runs the persister a worker runs ({@link Worker#newPersister}), started for this and closed
     * after, until every task of the persist queue that is due has been attempted once (retries
     * after 10 ms, at most 1 s); the number of uploads and UFS deletes it performed or found
     * superseded. A task that keeps failing (the UFS down, a damaged version) stays queued.
     */
    public static int drain(Worker worker) {
        return drain(worker, new Backoff(Duration.ofMillis(10), Duration.ofSeconds(1)));
    }

    public static int drain(Worker worker, Backoff backoff) {
        AsyncPersister p = worker.newPersister(PersisterConfig.of(worker.options().workerId(), 2, backoff)
                .withPollInterval(Duration.ofMillis(20)));
        try (p) {
            p.persister().start();
            if (!p.persister().awaitAttempted(Duration.ofSeconds(60))) {
                throw new AssertionError("persist tasks not attempted within 60 s: "
                        + worker.catalog().persistQueue().pendingTasks(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while draining the persist queue", e);
        }
        // Read once closed: every operation it ran has ended and counted.
        PersistStats s = p.stats();
        return Math.toIntExact(s.persisted() + s.deleted() + s.superseded());
    }
}
