package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.recovery.RecoveryReport;
import io.wcache.logstore.recovery.RecoveryReport.Outcome;
import io.wcache.logstore.segment.Segment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTest {

    @TempDir
    Path dir;

    private LogStoreConfig config() {
        return TestData.config(dir, 1L << 30, 64 << 10);
    }

    private List<Location> write(int count, int size) {
        List<Location> locs = new ArrayList<>();
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            for (int i = 0; i < count; i++) {
                locs.add(store.appendEvictable(1, i, TestData.heap(i, size)));
            }
        }
        return locs;
    }

    private static RecoveryReport.SegmentOutcome outcome(LogStore store, long segmentId) {
        return store.recoveryReport().segments().stream().filter(s -> s.segmentId() == segmentId).findFirst().orElseThrow();
    }

    @Test
    void tornTailIsTruncatedOnReopenAndReported() throws Exception {
        List<Location> locs = write(3, 10_000);
        Location last = locs.get(2);
        Path file = dir.resolve(Segment.fileName(last.segmentId()));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(last.position() + 28 + 5_000);
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, last.segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.TRUNCATED_TORN);
            assertThat(o.validEnd()).isEqualTo(last.position());
            assertThat(o.droppedBytes()).isEqualTo(28 + 5_000);
            assertThat(o.records()).isEqualTo(2);
            assertThat(store.stats().recoveredTruncatedBytes()).isEqualTo(28 + 5_000);
            assertThat(TestData.array(store.read(locs.get(1)))).isEqualTo(TestData.bytes(1, 10_000));
            assertThatThrownBy(() -> store.read(last)).isInstanceOf(WcacheException.NotFound.class);
            RestoreReport restore = store.restore(List.of(new LiveExtent(locs.get(0), Region.PINNED),
                    new LiveExtent(last, Region.PINNED)));
            assertThat(restore.missing()).containsExactly(last);
        }
        // recovery sealed the segment: the next open trusts it without a scan
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, last.segmentId()).outcome()).isEqualTo(Outcome.SEALED);
            assertThat(store.recoveryReport().damaged()).isEmpty();
        }
    }

    @Test
    void rolledSegmentsAreSealedAndNotScannedOnReopen() {
        List<Location> locs = write(10, 20_000);
        assertThat(locs.stream().map(Location::segmentId).distinct().count()).isGreaterThan(2);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            long first = locs.get(0).segmentId();
            long lastSeg = locs.get(9).segmentId();
            assertThat(outcome(store, first).outcome()).isEqualTo(Outcome.SEALED);
            assertThat(outcome(store, lastSeg).outcome()).as("closed, not sealed: scanned").isEqualTo(Outcome.CLEAN);
            for (int i = 0; i < 10; i++) {
                assertThat(TestData.array(store.read(locs.get(i)))).isEqualTo(TestData.bytes(i, 20_000));
            }
        }
    }

    @Test
    void unreadableHeaderSetsTheSegmentAsideInsteadOfDeletingIt() throws Exception {
        List<Location> locs = write(2, 1_000);
        long id = locs.get(0).segmentId();
        Path file = dir.resolve(Segment.fileName(id));
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'X', 'X'}), 0);
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, id);
            assertThat(o.outcome()).isEqualTo(Outcome.QUARANTINED);
            assertThat(o.droppedBytes()).isEqualTo(size);
            assertThat(Files.exists(dir.resolve(Segment.fileName(id) + ".corrupt"))).isTrue();
            assertThat(store.stats().corruptionsSeen()).isEqualTo(1);
            assertThatThrownBy(() -> store.read(locs.get(0))).isInstanceOf(WcacheException.NotFound.class);
            // new segments never reuse the id of a set-aside file
            Location fresh = store.appendEvictable(2, 0, TestData.heap(5, 10));
            assertThat(fresh.segmentId()).isGreaterThan(id);
        }
    }

    @Test
    void fileShorterThanAHeaderIsDeleted() throws Exception {
        Files.createDirectories(dir);
        Path stub = dir.resolve(Segment.fileName(7));
        Files.write(stub, new byte[10]);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, 7).outcome()).isEqualTo(Outcome.DELETED_EMPTY);
            assertThat(Files.exists(stub)).isFalse();
        }
    }
}
