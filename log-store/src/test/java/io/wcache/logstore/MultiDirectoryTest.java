package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiDirectoryTest {

    @TempDir
    Path root;

    @Test
    void appendsSpreadOverDirectoriesByFreeSpaceAndSurviveReopen() {
        LogStoreConfig cfg = LogStoreConfig.of(List.of(
                new LogStoreConfig.CacheDir(root.resolve("a"), 8 << 20),
                new LogStoreConfig.CacheDir(root.resolve("b"), 8 << 20))).withSegmentSize(256 << 10);
        List<Location> locs = new ArrayList<>();
        try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
            for (int i = 0; i < 40; i++) {
                locs.add(TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, 50_000))));
            }
            store.sync();
            assertThat(locs.stream().filter(l -> l.dir() == 0).count()).isBetween(15L, 25L);
            assertThat(locs.stream().map(Location::segmentId).distinct().count())
                    .as("segment ids are unique across directories").isGreaterThan(2);
            assertThat(store.stats().capacityBytes()).isEqualTo(16 << 20);
        }
        try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
            for (int i = 0; i < locs.size(); i++) {
                assertThat(TestData.array(store.read(locs.get(i)))).isEqualTo(TestData.bytes(i, 50_000));
            }
            // a location naming the wrong directory is not found, never read from the other one
            Location l = locs.get(0);
            Location wrongDir = new Location(1 - l.dir(), l.segmentId(), l.position(), l.length());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.read(wrongDir))
                    .isInstanceOf(io.wcache.core.error.WcacheException.NotFound.class);
        }
    }

    @Test
    void backgroundReclaimerEvictsPastTheHighWatermarkWithoutBeingAsked() throws Exception {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        LogStoreConfig cfg = TestData.config(root, 1 << 20, 64 << 10).withWatermarks(0.5, 0.8)
                .withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, relocator)) {
            store.restore(List.of());
            for (int i = 0; i < 55; i++) {
                TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, 16 << 10)));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.stats().usedBytes() > 0.5 * (1 << 20) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(store.stats().usedBytes()).isLessThanOrEqualTo((long) (0.5 * (1 << 20)));
            assertThat(store.stats().evictions()).isPositive();
            synchronized (relocator) {
                assertThat(relocator.dropped).isNotEmpty();
            }
        }
    }
}
