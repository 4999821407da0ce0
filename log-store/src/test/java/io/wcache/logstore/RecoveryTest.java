package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.recovery.RecoveryReport;
import io.wcache.logstore.recovery.RecoveryReport.Outcome;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.segment.SegmentFormat;
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
            ch.truncate(last.position() + SegmentFormat.RECORD_HEADER_SIZE + 5_000);
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, last.segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.TRUNCATED_TORN);
            assertThat(o.validEnd()).isEqualTo(last.position());
            assertThat(o.droppedBytes()).isEqualTo(SegmentFormat.RECORD_HEADER_SIZE + 5_000);
            assertThat(o.records()).isEqualTo(2);
            assertThat(store.stats().recoveredTruncatedBytes()).isEqualTo(SegmentFormat.RECORD_HEADER_SIZE + 5_000);
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
    void fileThatIsNotASegmentIsSetAsideInsteadOfDeleted() throws Exception {
        List<Location> locs = write(2, 1_000);
        long id = locs.get(0).segmentId();
        Path file = dir.resolve(Segment.fileName(id));
        long size = Files.size(file);
        byte[] foreign = new byte[(int) size];
        new java.util.Random(3).nextBytes(foreign);
        Files.write(file, foreign);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, id);
            assertThat(o.outcome()).isEqualTo(Outcome.QUARANTINED);
            assertThat(o.droppedBytes()).isEqualTo(size);
            assertThat(Files.readAllBytes(dir.resolve(Segment.fileName(id) + ".corrupt"))).isEqualTo(foreign);
            assertThat(store.stats().corruptionsSeen()).isEqualTo(1);
            assertThatThrownBy(() -> store.read(locs.get(0))).isInstanceOf(WcacheException.NotFound.class);
            // new segments never reuse the id of a set-aside file
            Location fresh = store.appendEvictable(2, 0, TestData.heap(5, 10));
            assertThat(fresh.segmentId()).isGreaterThan(id);
        }
    }

    @Test
    void damagedSegmentHeaderIsRewrittenAndItsRecordsKept() throws Exception {
        List<Location> locs = write(2, 1_000);
        long id = locs.get(0).segmentId();
        flip(dir.resolve(Segment.fileName(id)), 1);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, id).outcome()).isEqualTo(Outcome.HEADER_REPAIRED);
            assertThat(TestData.array(store.read(locs.get(0)))).isEqualTo(TestData.bytes(0, 1_000));
            assertThat(TestData.array(store.read(locs.get(1)))).isEqualTo(TestData.bytes(1, 1_000));
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, id).outcome()).isEqualTo(Outcome.SEALED);
        }
    }

    @Test
    void flippedPayloadByteCostsOnlyItsRecordNotTheRestOfTheSegment() throws Exception {
        List<Location> locs = write(10, 2_000);
        assertThat(locs.stream().map(Location::segmentId).distinct()).as("one segment").hasSize(1);
        Location bad = locs.get(3);
        flip(dir.resolve(Segment.fileName(bad.segmentId())), bad.position() + SegmentFormat.RECORD_HEADER_SIZE + 777);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, bad.segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.DAMAGED_RECORDS_SKIPPED);
            assertThat(o.droppedBytes()).as("nothing cut").isZero();
            assertThat(o.records()).isEqualTo(9);
            assertThat(o.damagedRanges()).singleElement().satisfies(r -> {
                assertThat(r.position()).isEqualTo(bad.position());
                assertThat(r.headerIntact()).isTrue();
                assertThat(r.fileOffset()).isEqualTo(3);
            });
            RestoreReport restore = store.restore(locs.stream().map(l -> new LiveExtent(l, Region.PINNED)).toList());
            assertThat(restore.damaged()).containsExactly(bad);
            assertThat(restore.missing()).isEmpty();
            assertThat(restore.restored()).isEqualTo(9);
            for (int i = 0; i < 10; i++) {
                if (i != 3) {
                    assertThat(TestData.array(store.read(locs.get(i)))).as("record %d", i).isEqualTo(TestData.bytes(i, 2_000));
                }
            }
            assertThatThrownBy(() -> store.read(bad)).isInstanceOf(WcacheException.Corruption.class);
        }
        // sealed by recovery; the damaged record stays on disk and is still refused
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, bad.segmentId()).outcome()).isEqualTo(Outcome.SEALED);
            assertThat(TestData.array(store.read(locs.get(9)))).isEqualTo(TestData.bytes(9, 2_000));
            assertThatThrownBy(() -> store.read(bad)).isInstanceOf(WcacheException.Corruption.class);
        }
    }

    @Test
    void flippedHeaderByteResynchronisesOnTheNextRecord() throws Exception {
        List<Location> locs = write(10, 2_000);
        Location bad = locs.get(5);
        // the length field: the header no longer frames its record
        flip(dir.resolve(Segment.fileName(bad.segmentId())), bad.position() + 6);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, bad.segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.DAMAGED_RECORDS_SKIPPED);
            assertThat(o.damagedRanges()).singleElement().satisfies(r -> {
                assertThat(r.position()).isEqualTo(bad.position());
                assertThat(r.end()).isEqualTo(locs.get(6).position());
                assertThat(r.headerIntact()).isFalse();
            });
            RestoreReport restore = store.restore(locs.stream().map(l -> new LiveExtent(l, Region.PINNED)).toList());
            assertThat(restore.damaged()).containsExactly(bad);
            for (int i = 0; i < 10; i++) {
                if (i != 5) {
                    assertThat(TestData.array(store.read(locs.get(i)))).as("record %d", i).isEqualTo(TestData.bytes(i, 2_000));
                }
            }
            assertThatThrownBy(() -> store.read(bad)).isInstanceOf(WcacheException.Corruption.class);
        }
    }

    @Test
    void damagedLastRecordIsKeptAndReportedNotCutAsATornTail() throws Exception {
        List<Location> locs = write(4, 2_000);
        Location last = locs.get(3);
        Path file = dir.resolve(Segment.fileName(last.segmentId()));
        long size = Files.size(file);
        flip(file, last.position() + 2);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, last.segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.DAMAGED_RECORDS_SKIPPED);
            assertThat(o.validEnd()).isEqualTo(size);
            assertThat(o.damagedRanges()).singleElement().satisfies(r -> assertThat(r.position()).isEqualTo(last.position()));
            RestoreReport restore = store.restore(List.of(new LiveExtent(last, Region.PINNED)));
            assertThat(restore.damaged()).containsExactly(last);
            assertThat(restore.missing()).isEmpty();
        }
    }

    @Test
    void zeroTailIsTornAndCut() throws Exception {
        List<Location> locs = write(2, 1_000);
        Path file = dir.resolve(Segment.fileName(locs.get(0).segmentId()));
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4096), size);
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            RecoveryReport.SegmentOutcome o = outcome(store, locs.get(0).segmentId());
            assertThat(o.outcome()).isEqualTo(Outcome.TRUNCATED_TORN);
            assertThat(o.validEnd()).isEqualTo(size);
            assertThat(o.droppedBytes()).isEqualTo(4096);
        }
    }

    @Test
    void formatVersion1SegmentsStayReadable() throws Exception {
        Files.createDirectories(dir);
        long id = 5;
        byte[] a = TestData.bytes(1, 3_000);
        byte[] b = TestData.bytes(2, 10);
        int h = SegmentFormat.RECORD_HEADER_SIZE_V1;
        ByteBuffer file = ByteBuffer.allocate(SegmentFormat.SEGMENT_HEADER_SIZE + 2 * h + a.length + b.length);
        SegmentFormat.encodeSegmentHeader(file, id, 0, SegmentFormat.VERSION_1);
        long posA = SegmentFormat.SEGMENT_HEADER_SIZE;
        long posB = posA + h + a.length;
        SegmentFormat.encodeRecordHeaderV1(file.slice((int) posA, h), SegmentFormat.TYPE_DATA, (byte) 0, 9, 0, a.length,
                ByteBuffer.wrap(a));
        file.put((int) posA + h, a);
        SegmentFormat.encodeRecordHeaderV1(file.slice((int) posB, h), SegmentFormat.TYPE_DATA, (byte) 0, 9, a.length,
                b.length, ByteBuffer.wrap(b));
        file.put((int) posB + h, b);
        Files.write(dir.resolve(Segment.fileName(id)), file.array());
        Location la = new Location(0, id, posA, a.length);
        Location lb = new Location(0, id, posB, b.length);
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, id).outcome()).isEqualTo(Outcome.CLEAN);
            assertThat(store.restore(List.of(new LiveExtent(la, Region.PINNED), new LiveExtent(lb, Region.PINNED)))
                    .restored()).isEqualTo(2);
            assertThat(TestData.array(store.read(la))).isEqualTo(a);
            assertThat(TestData.array(store.read(lb, 3, 5))).isEqualTo(java.util.Arrays.copyOfRange(b, 3, 8));
            Location fresh = store.appendEvictable(3, 0, TestData.heap(7, 100));
            assertThat(fresh.segmentId()).as("never appended to").isNotEqualTo(id);
        }
        try (LogStore store = LogStore.open(config(), ExtentRelocator.NONE)) {
            assertThat(outcome(store, id).outcome()).as("sealed in its own format").isEqualTo(Outcome.SEALED);
            assertThat(TestData.array(store.read(lb))).isEqualTo(b);
        }
    }

    private static void flip(Path file, long at) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x10)).clear();
            ch.write(one, at);
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
