package io.wcache.worker.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.persister.async.LocalExtents;
import io.wcache.worker.cache.ReaderPins;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's persister knows whose log it reads. Without that, in a cluster it claimed every
 * due upload, including versions a survivor had taken over from a dead worker, and retried reads
 * of bytes it did not hold for as long as it ran ({@code ReplicationTest}: an object taken over by
 * another worker was never persisted).
 */
class AsyncPersisterTest {

    @TempDir
    Path dir;

    @Test
    void theExtentsItUploadsFromAreThisWorkersSoItClaimsOnlyWhatThisWorkerHolds() {
        try (LogStore store = LogStore.open(LogStoreConfig.of(dir, 64L << 20), ExtentRelocator.NONE)) {
            store.restore(List.of());
            LocalExtents local = AsyncPersister.withReaderPins(LocalExtents.of(store, "worker-7"),
                    new ReaderPins(store, "worker-7"));
            assertThat(local.worker()).contains("worker-7");
        }
    }
}
