package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.persist.AsyncPersister;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount removed and added again with another UFS is served by the new UFS at once, for every
 * kind of UFS access: a synchronous write, a background upload and a read all go through the
 * worker's one UFS router.
 */
class MountRepointTest {

    @TempDir
    Path root;

    @Test
    void aRepointedMountWritesAndReadsTheNewUfs() throws Exception {
        Path a = root.resolve("ufs-a");
        Path b = root.resolve("ufs-b");
        try (Worker w = Worker.start(TestWorkers.config(root, "path.default.policy=WRITE_THROUGH"),
                WorkerOptions.defaults().withSegmentSize(4L << 20), List.of())) {
            AdminApi admin = new AdminApi(w, Clock.systemUTC());
            CacheService cache = w.cacheService();
            admin.addMount("/r", a.toUri().toString(), Map.of());
            put(cache, "/r/first.txt", "one");
            assertThat(Files.readString(a.resolve("first.txt"))).isEqualTo("one");

            admin.removeMount("/r");
            admin.addMount("/r", b.toUri().toString(), Map.of());
            put(cache, "/r/second.txt", "two");
            assertThat(b.resolve("second.txt")).as("WRITE_THROUGH lands in the mount's new UFS").hasContent("two");
            assertThat(a.resolve("second.txt")).as("and not in the old one").doesNotExist();

            // A read of a path the cache does not hold goes to the new UFS too.
            Files.writeString(b.resolve("only-in-b.txt"), "from b");
            assertThat(cache.stat(NamespacePath.of("/r/only-in-b.txt")).get(30, TimeUnit.SECONDS)).isPresent();
            assertThat(cache.stat(NamespacePath.of("/r/first.txt")).get(30, TimeUnit.SECONDS).map(i -> i.etag()))
                    .as("the cached version written through A is still the Catalog's").isPresent();

            // A background (WRITE_BACK) upload after the re-point goes to B as well.
            admin.setRule("/r/wb", "WRITE_BACK", null);
            put(cache, "/r/wb/third.txt", "three");
            assertThat(((AsyncPersister) w.persister()).persister().awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(b.resolve("wb/third.txt")).hasContent("three");
            assertThat(a.resolve("wb/third.txt")).doesNotExist();
        }
    }

    private static void put(CacheService cache, String path, String body) throws Exception {
        WriteSession s = cache.create(NamespacePath.of(path), WriteOptions.defaults()).get(30, TimeUnit.SECONDS);
        s.append(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        s.commit().get(30, TimeUnit.SECONDS);
    }
}
