package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.persist.AsyncPersister;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code NO_CACHE} write joins the path's order: an older {@code WRITE_BACK} version whose
 * upload is still queued can neither land in the UFS after it nor be read instead of it.
 */
class NoCacheOrderingTest {

    @TempDir
    Path root;

    @Test
    void aQueuedOlderUploadNeverLandsAfterANoCacheWrite() throws Exception {
        try (Worker w = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withSegmentSize(4L << 20),
                List.of())) {
            WorkerCacheService cache = w.cacheService();
            var persister = ((AsyncPersister) w.persister()).persister();
            NamespacePath path = NamespacePath.of("/m/p/x");
            CompletableFuture<ObjectInfo> noCache = new CompletableFuture<>();
            // Hold the path as a running upload would: v1's upload is queued behind the hold.
            w.persister().exclusive(path, () -> {
                put(cache, path, "old WRITE_BACK version").join();
                w.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/p"), WritePolicy.NO_CACHE, 1));
                cache.refreshPathConfig();
                CompletableFuture.runAsync(() -> put(cache, path, "new NO_CACHE version").whenComplete((r, e) -> {
                    if (e != null) {
                        noCache.completeExceptionally(e);
                    } else {
                        noCache.complete(r);
                    }
                }));
                // Released once the NO_CACHE write either finished (it skipped the order) or waits in it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!noCache.isDone() && persister.waitingWriters(path) == 0 && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
                return null;
            });
            noCache.get(30, TimeUnit.SECONDS);
            assertThat(persister.awaitDrained(Duration.ofSeconds(30))).isTrue();

            assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("p/x")))
                    .as("the older upload must not land after the NO_CACHE write").isEqualTo("new NO_CACHE version");
            try (ObjectReader r = cache.open(path).get(30, TimeUnit.SECONDS)) {
                assertThat(StandardCharsets.UTF_8.decode(r.read(0, 100).get(30, TimeUnit.SECONDS)).toString())
                        .as("a read sees the NO_CACHE write, not the cached older version").isEqualTo("new NO_CACHE version");
            }
            assertThat(w.catalog().files().lookup(path)).isEmpty();
            assertThat(w.catalog().persistQueue().pendingTasks(10)).isEmpty();
        }
    }

    private static CompletableFuture<ObjectInfo> put(CacheService cache, NamespacePath path, String body) {
        return cache.create(path, WriteOptions.defaults()).thenCompose((WriteSession s) ->
                s.append(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))).thenCompose(v -> s.commit()));
    }
}
