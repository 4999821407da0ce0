package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.persist.AsyncPersister;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The persisted totals of {@code /metrics} and {@code wcadm async-persist stat} count the uploads
 * of the persister a worker runs.
 */
class PersistMetricsTest {

    @TempDir
    Path root;

    @Test
    void uploadsOfTheRunningPersisterAreCountedInThePersistedTotals() throws Exception {
        try (Worker w = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withSegmentSize(4L << 20),
                List.of())) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            WorkerMetrics.bind(w, registry);
            WriteSession s = WorkerCacheService.await(w.cacheService().create(NamespacePath.of("/m/metrics/a"),
                    WriteOptions.defaults()));
            WorkerCacheService.await(s.append(ByteBuffer.wrap(new byte[1000])));
            WorkerCacheService.await(s.commit());
            AsyncPersister p = (AsyncPersister) w.persister();
            assertThat(p.persister().awaitDrained(Duration.ofSeconds(60))).as("uploaded").isTrue();

            assertThat(registry.get("wcache.persist.persisted").functionCounter().count()).isEqualTo(1.0);
            assertThat(registry.get("wcache.persist.persisted.bytes").functionCounter().count()).isEqualTo(1000.0);
            assertThat(new AdminApi(w, java.time.Clock.systemUTC()).persistStat().persisted()).isEqualTo(1);
        }
    }
}
