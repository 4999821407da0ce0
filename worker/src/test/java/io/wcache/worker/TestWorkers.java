package io.wcache.worker;

import io.wcache.core.config.WcacheConfig;
import io.wcache.worker.persist.PersistDrain;
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

    /** A worker without the background persist drain: tests drive persistence themselves. */
    public static Worker start(Path root, String... sets) {
        return Worker.start(config(root, sets), WorkerOptions.defaults().withPersister(false).withSegmentSize(4L << 20),
                List.of());
    }

    /** Uploads everything the worker's persist queue holds, one task at a time on this thread; the count uploaded. */
    public static int drain(Worker worker) {
        PersistDrain d = new PersistDrain(worker.catalog(), worker.uploader(), "test-drain", Duration.ofMillis(10),
                Duration.ofSeconds(1));
        int total = 0;
        int n;
        while ((n = d.drainOnce()) > 0) {
            total += n;
        }
        return total;
    }
}
