package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synchronous {@code WRITE_THROUGH} upload joins the persister's per-path order, so an
 * asynchronous upload of an older version of the same path can never land after it.
 */
class WriteThroughOrderingTest {

    @TempDir
    Path root;

    @Test
    void writeThroughWaitsWhileTheSamePathHasAnUploadInFlight() throws Exception {
        try (Worker w = Worker.start(TestWorkers.config(root, "path.default.policy=WRITE_THROUGH"),
                WorkerOptions.defaults().withSegmentSize(4L << 20), List.of())) {
            NamespacePath path = NamespacePath.of("/m/ordered.txt");
            // Hold the path as an in-flight background upload would, and write through meanwhile.
            CompletableFuture<ObjectInfo> write = startWhileHeld(w, path, "ordered.txt", () -> put(w, path, "new"),
                    "the write-through upload waits for the path's running upload");
            ObjectInfo info = write.get(30, TimeUnit.SECONDS);
            assertThat(info.size()).isEqualTo(3);
            assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("ordered.txt"))).isEqualTo("new");
        }
    }

    @Test
    void writeThroughMultipartCompletionWaitsWhileTheSamePathHasAnUploadInFlight() throws Exception {
        try (Worker w = Worker.start(TestWorkers.config(root, "path.default.policy=WRITE_THROUGH"),
                WorkerOptions.defaults().withSegmentSize(4L << 20), List.of())) {
            NamespacePath path = NamespacePath.of("/m/assembled.txt");
            var cache = w.cacheService();
            String uploadId = cache.createMultipart(path, WriteOptions.defaults()).get(30, TimeUnit.SECONDS).uploadId();
            WriteSession part = cache.uploadPart(path, uploadId, 1).get(30, TimeUnit.SECONDS);
            part.append(ByteBuffer.wrap("one part".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            String etag = part.commit().get(30, TimeUnit.SECONDS).etag();
            CompletableFuture<ObjectInfo> complete = startWhileHeld(w, path, "assembled.txt",
                    () -> cache.completeMultipart(path, uploadId, List.of(new PartRef(1, etag))),
                    "the completion's upload waits for the path's running upload");
            ObjectInfo info = complete.get(30, TimeUnit.SECONDS);
            assertThat(info.etag()).endsWith("-1");
            assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("assembled.txt"))).isEqualTo("one part");
        }
    }

    /**
     * Holds {@code path} as a running background upload would, starts {@code write} meanwhile, and
     * checks it waits in the path's order (nothing in the UFS at {@code ufsKey}); returns the write.
     */
    private CompletableFuture<ObjectInfo> startWhileHeld(Worker w, NamespacePath path, String ufsKey,
                                                         java.util.function.Supplier<CompletableFuture<ObjectInfo>> write,
                                                         String waits) {
        CompletableFuture<ObjectInfo> result = new CompletableFuture<>();
        w.persister().exclusive(path, () -> {
            CompletableFuture.runAsync(() -> write.get().whenComplete((r, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(r);
                }
            }));
            // The write either finished (it skipped the order) or now waits in the path's order.
            var persister = ((io.wcache.worker.persist.AsyncPersister) w.persister()).persister();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!result.isDone() && persister.waitingWriters(path) == 0 && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            assertThat(result).as(waits).isNotDone();
            assertThat(persister.waitingWriters(path)).as(waits).isEqualTo(1);
            assertThat(Files.exists(TestWorkers.ufsDir(root).resolve(ufsKey))).isFalse();
            return null;
        });
        return result;
    }

    private static CompletableFuture<ObjectInfo> put(Worker w, NamespacePath path, String body) {
        return w.cacheService().create(path, WriteOptions.defaults()).thenCompose((WriteSession s) ->
                s.append(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))).thenCompose(v -> s.commit()));
    }

}
