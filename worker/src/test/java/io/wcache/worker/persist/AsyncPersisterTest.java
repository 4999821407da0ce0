package io.wcache.worker.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.persister.async.LocalExtents;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.ReaderPins;
import io.wcache.worker.cache.WorkerCacheService;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncPersisterTest {

    @TempDir
    Path dir;

    /**
     * The worker's persister knows whose log it reads. Without that, in a cluster it claimed every
     * due upload, including versions a survivor had taken over from a dead worker, and retried reads
     * of bytes it did not hold for as long as it ran ({@code ReplicationTest}: an object taken over by
     * another worker was never persisted).
     */
    @Test
    void theExtentsItUploadsFromAreThisWorkersSoItClaimsOnlyWhatThisWorkerHolds() {
        try (LogStore store = LogStore.open(LogStoreConfig.of(dir, 64L << 20), ExtentRelocator.NONE)) {
            store.restore(List.of());
            LocalExtents local = AsyncPersister.withReaderPins(LocalExtents.of(store, "worker-7"),
                    new ReaderPins(store, "worker-7"));
            assertThat(local.worker()).contains("worker-7");
        }
    }

    /** A worker's commits lease their uploads to its persister, which so runs them without claiming them. */
    @Test
    void aWorkersWriteBackUploadsRunUnderTheirCommitsLeaseWithoutAClaim() throws Exception {
        try (Worker w = Worker.start(TestWorkers.config(dir), WorkerOptions.defaults().withSegmentSize(4L << 20),
                List.of())) {
            for (int i = 0; i < 3; i++) {
                WriteSession s = WorkerCacheService.await(w.cacheService().create(NamespacePath.of("/m/leased/" + i),
                        WriteOptions.defaults()));
                WorkerCacheService.await(s.append(ByteBuffer.wrap(new byte[1000 + i])));
                WorkerCacheService.await(s.commit());
            }
            AsyncPersister p = (AsyncPersister) w.persister();
            assertThat(p.persister().awaitDrained(Duration.ofSeconds(60))).as("uploaded").isTrue();
            assertThat(p.persister().claimCounts().tasks()).as("tasks claimed before their upload").isZero();
            for (int i = 0; i < 3; i++) {
                assertThat(Files.size(TestWorkers.ufsDir(dir).resolve("leased/" + i))).isEqualTo(1000 + i);
            }
        }
    }
}
