package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An append writes its record, then enters its location in the space ledger. In between, another
 * writer's append may roll the segment (sealing it) and the reclaimer may look at it: the record
 * is in the file but not in the ledger yet, so the segment looked empty, was deleted, and the
 * writer then indexed a location in a deleted segment (an acknowledged write lost).
 */
class AppendSealRaceTest {

    private static final int RECORD = 16 << 10;

    @TempDir
    Path dir;

    @Test
    void aSegmentSealedBeforeItsLastAppendIsInTheLedgerIsNotReclaimed() {
        LogStoreConfig config = TestData.config(dir, 640 << 10, 64 << 10).withWatermarks(0.5, 0.8)
                .withCompactionThreshold(0.5).withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(config, new TestData.RecordingRelocator())) {
            store.restore(List.of());
            AtomicReference<Location> other = new AtomicReference<>();
            store.afterWriteForTests(() -> {
                store.afterWriteForTests(null);
                // Another writer: its record does not fit, so it rolls (seals) the segment; then a pass.
                other.set(TestData.published(store, store.appendEvictable(2, 0, TestData.heap(2, 3 * RECORD))));
                store.reclaimNow();
            });
            Location mine = store.appendEvictable(1, 0, TestData.heap(1, RECORD));
            store.published(List.of(mine));
            store.sync();

            assertThat(other.get().segmentId()).as("the other append rolled the segment").isNotEqualTo(mine.segmentId());
            assertThat(Files.exists(dir.resolve(io.wcache.logstore.segment.Segment.fileName(mine.segmentId()))))
                    .as("the segment holding the record").isTrue();
            assertThat(TestData.array(store.read(mine))).isEqualTo(TestData.array(TestData.heap(1, RECORD)));
            // In the ledger now: a later pass sees the segment with its record and keeps it live.
            store.reclaimNow();
            assertThat(TestData.array(store.read(mine))).isEqualTo(TestData.array(TestData.heap(1, RECORD)));
        }
    }
}
