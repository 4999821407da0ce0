package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.policy.WritePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.PerfLevel;
import org.rocksdb.RocksDB;

/**
 * The persister polls the durable queue's due index every second. Every task finished or claimed
 * leaves a deleted entry in that index, which the metadata engine steps over on each scan until its
 * storage compacts it away; a scan from the index's start so cost more with every upload since.
 */
class PersistQueueDueScanTest {

    @TempDir
    Path dir;

    @Test
    void aPollStepsOverTheTasksFinishedLatelyNotEveryTaskFinishedSinceTheStart() throws Exception {
        TestClock clock = new TestClock();
        Catalog catalog = CatalogFixture.newCatalog(clock);
        PersistQueue queue = catalog.persistQueue();
        int rounds = 20;
        int perRound = 100;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < perRound; i++) {
                CatalogFixture.write(catalog, "/b/r" + r + "/o" + i, WritePolicy.WRITE_BACK, 1, 1024);
            }
            assertThat(queue.dueTasks(clock.instant(), 1000)).hasSize(perRound);
            List<PersistTask> claimed = queue.claimTasks("p1", Duration.ofMinutes(1), 1000);
            assertThat(claimed).hasSize(perRound);
            assertThat(queue.markPersisted(claimed)).containsOnly(PersistOutcome.PERSISTED);
            clock.advance(Duration.ofSeconds(10));
        }
        CatalogFixture.write(catalog, "/b/last", WritePolicy.WRITE_BACK, 1, 1024);

        long skipped = deletedKeysSteppedOver(() -> queue.dueTasks(clock.instant(), 10),
                due -> assertThat(due).singleElement().satisfies(t -> assertThat(t.path()).hasToString("/b/last")));
        // What it may step over: the entries of the tasks queued since the previous poll's floor
        // (the last round's, 100) and of the leases that expired since (two rounds' claims, 200).
        assertThat(skipped).as("deleted due-index entries a poll stepped over, %d tasks having been finished",
                rounds * perRound).isLessThan(rounds * perRound / 4);
        assertThat(queue.dueFloorMs()).isGreaterThan(clock.millis() - PersistQueue.FLOOR_SLACK_MS - 1_000);
    }

    @Test
    void aTaskDueBelowTheFloorIsFoundByTheNextFullScan() {
        TestClock clock = new TestClock();
        Catalog catalog = CatalogFixture.newCatalog(clock);
        PersistQueue queue = catalog.persistQueue();
        clock.advance(Duration.ofHours(2));
        CatalogFixture.write(catalog, "/b/now", WritePolicy.WRITE_BACK, 1, 1024);
        assertThat(queue.dueTasks(clock.instant(), 10)).hasSize(1);
        long floor = queue.dueFloorMs();
        assertThat(floor).isGreaterThan(clock.millis() - Duration.ofHours(1).toMillis());

        // A task queued due an hour before the floor: another worker's clock that runs behind.
        TestClock behind = new TestClock();
        behind.advance(Duration.ofHours(1));
        Catalog other = new Catalog(CatalogFixture.engine().recordDatabase(), catalog.name(), behind);
        CatalogFixture.write(other, "/b/behind", WritePolicy.WRITE_BACK, 1, 1024);

        List<PersistTask> floored = queue.dueTasks(clock.instant(), 10);
        assertThat(floored).extracting(t -> t.path().toString()).containsExactly("/b/now");
        queue.fullScanEvery(Duration.ZERO);
        assertThat(queue.dueTasks(clock.instant(), 10)).extracting(t -> t.path().toString())
                .containsExactly("/b/behind", "/b/now");
        assertThat(queue.dueFloorMs()).as("a full scan lowers the floor to the oldest due task").isLessThan(floor);
    }

    /** RocksDB's per-thread count of deleted keys its iterators stepped over while {@code read} ran on this thread. */
    private <T> long deletedKeysSteppedOver(Supplier<T> read, java.util.function.Consumer<T> check) throws Exception {
        // Perf counting is per thread in RocksDB, not per database: any open instance switches it on.
        Files.createDirectories(dir.resolve("perf"));
        try (Options o = new Options().setCreateIfMissing(true); RocksDB any = RocksDB.open(o, dir.resolve("perf").toString())) {
            any.setPerfLevel(PerfLevel.ENABLE_COUNT);
            try {
                any.getPerfContext().reset();
                T result = read.get();
                long skipped = any.getPerfContext().getInternalDeleteSkippedCount();
                check.accept(result);
                return skipped;
            } finally {
                any.setPerfLevel(PerfLevel.DISABLE);
            }
        }
    }
}
