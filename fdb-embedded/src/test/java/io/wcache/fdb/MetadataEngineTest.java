package io.wcache.fdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the engine selector sets up the Record Layer around the embedded database. */
class MetadataEngineTest {

    @TempDir
    Path dir;

    @Test
    void recordLayerContinuationsRunOnAFewReusedEngineThreadsNotAThreadPerTask() {
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + dir.resolve("meta"))) {
            assertThat(engine.recordDatabase().getExecutor()).isNotSameAs(ForkJoinPool.commonPool());
            Set<String> threads = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                String name = engine.recordDatabase().runAsync(ctx ->
                        CompletableFuture.supplyAsync(() -> Thread.currentThread().getName(), ctx.getExecutor())).join();
                threads.add(name);
            }
            assertThat(threads).allMatch(t -> t.startsWith(MetadataEngine.CONTINUATION_THREAD_PREFIX));
            // A thread-per-task executor would show up to 200 distinct threads here.
            assertThat(threads.size()).isLessThanOrEqualTo(Math.max(4, Runtime.getRuntime().availableProcessors()));
        }
    }
}
