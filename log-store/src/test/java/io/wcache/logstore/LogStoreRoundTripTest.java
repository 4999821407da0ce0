package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.recovery.RecoveryReport;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStoreRoundTripTest {

    @TempDir
    Path dir;

    private LogStore open(long segmentSize) {
        return LogStore.open(TestData.config(dir, 1L << 30, segmentSize), ExtentRelocator.NONE);
    }

    @Test
    void recordsOfManySizesRoundTripAndSurviveReopen() {
        int[] sizes = {0, 1, 27, 28, 29, 4095, 4096, 65_537, (1 << 20) + 3, (8 << 20) + 1};
        List<Location> locations = new ArrayList<>();
        try (LogStore store = open(4L << 20)) {
            for (int i = 0; i < sizes.length; i++) {
                ByteBuffer payload = i % 2 == 0 ? TestData.heap(i, sizes[i]) : TestData.direct(i, sizes[i]);
                Location loc = store.appendEvictable(7, i * 100L, payload);
                assertThat(payload.remaining()).as("caller's buffer position untouched").isEqualTo(sizes[i]);
                assertThat(loc.length()).isEqualTo(sizes[i]);
                locations.add(loc);
            }
            store.sync();
            for (int i = 0; i < sizes.length; i++) {
                assertThat(TestData.array(store.read(locations.get(i)))).isEqualTo(TestData.bytes(i, sizes[i]));
            }
            // the 8 MiB record is larger than a segment: it got one of its own
            assertThat(locations.get(sizes.length - 1).segmentId()).isNotEqualTo(locations.get(sizes.length - 2).segmentId());
        }
        try (LogStore store = open(4L << 20)) {
            assertThat(store.recoveryReport().damaged()).isEmpty();
            for (int i = 0; i < sizes.length; i++) {
                assertThat(TestData.array(store.read(locations.get(i)))).isEqualTo(TestData.bytes(i, sizes[i]));
            }
        }
    }

    @Test
    void sixtyFourMebibyteRecordFromDirectBufferRoundTrips() {
        int size = 64 << 20;
        ByteBuffer payload = TestData.direct(64, size);
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            Location loc = store.appendEvictable(1, 0, payload);
            store.sync();
            ByteBuffer back = store.read(loc);
            assertThat(back.remaining()).isEqualTo(size);
            assertThat(back.equals(payload)).isTrue();
            ByteBuffer tail = store.read(loc, size - 10, 10);
            assertThat(tail).isEqualTo(payload.duplicate().position(size - 10));
        }
    }

    @Test
    void subRangeReadsReturnExactlyTheRequestedBytes() {
        int size = (1 << 20) + 7;
        byte[] expected = TestData.bytes(3, size);
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            Location loc = store.appendEvictable(3, 0, ByteBuffer.wrap(expected));
            long[][] ranges = {{0, 0}, {0, 1}, {5, 100}, {size - 1, 1}, {300_000, 500_000}, {0, size}};
            for (long[] r : ranges) {
                byte[] got = TestData.array(store.read(loc, r[0], (int) r[1]));
                byte[] want = java.util.Arrays.copyOfRange(expected, (int) r[0], (int) (r[0] + r[1]));
                assertThat(got).as("range %s+%s", r[0], r[1]).isEqualTo(want);
            }
            ByteBuffer dst = ByteBuffer.allocateDirect(4096);
            dst.position(10);
            assertThat(store.read(loc, size - 2000, dst)).isEqualTo(2000);
            assertThat(dst.position()).isEqualTo(2010);
            dst.flip().position(10);
            assertThat(TestData.array(dst)).isEqualTo(java.util.Arrays.copyOfRange(expected, size - 2000, size));
        }
    }

    @Test
    void badReadArgumentsAreTypedErrors() {
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            Location loc = store.appendEvictable(1, 0, TestData.heap(1, 100));
            assertThatThrownBy(() -> store.read(loc, 90, 20)).isInstanceOf(WcacheException.InvalidArgument.class);
            assertThatThrownBy(() -> store.read(loc, -1, 1)).isInstanceOf(WcacheException.InvalidArgument.class);
            assertThatThrownBy(() -> store.read(new Location(0, 999_999, 32, 100)))
                    .isInstanceOf(WcacheException.NotFound.class);
            assertThatThrownBy(() -> store.read(new Location(0, loc.segmentId(), 1 << 20, 100)))
                    .isInstanceOf(WcacheException.NotFound.class);
            assertThatThrownBy(() -> store.read(new Location(0, loc.segmentId(), loc.position(), 99)))
                    .isInstanceOf(WcacheException.Corruption.class);
            assertThatThrownBy(() -> new Location(0, 1, -5, 1)).isInstanceOf(WcacheException.InvalidArgument.class);
            assertThat(Location.fromBytes(loc.toBytes())).isEqualTo(loc);
            assertThatThrownBy(() -> Location.fromBytes(new byte[3])).isInstanceOf(WcacheException.InvalidArgument.class);
        }
    }

    @Test
    void nettyBuffersAreAppendedWithoutMovingTheirReaderIndex() {
        ByteBuf a = Unpooled.directBuffer(1000).writeBytes(TestData.bytes(1, 1000));
        ByteBuf b = Unpooled.wrappedBuffer(TestData.bytes(2, 500));
        CompositeByteBuf composite = Unpooled.compositeBuffer().addComponents(true, a, b);
        composite.readerIndex(10);
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            Location loc = store.append(Chunk.evictable(9, 0, composite));
            assertThat(composite.readerIndex()).isEqualTo(10);
            byte[] expected = new byte[1490];
            composite.getBytes(10, expected);
            assertThat(TestData.array(store.read(loc))).isEqualTo(expected);
        } finally {
            composite.release();
        }
    }

    @Test
    void batchAppendReturnsLocationsInOrderAcrossSegmentRolls() {
        try (LogStore store = open(64 << 10)) {
            List<Chunk> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                batch.add(Chunk.evictable(5, i * 10_000L, TestData.heap(i, 10_000)));
            }
            List<Location> locs = store.append(batch);
            store.sync();
            assertThat(locs).hasSize(40);
            assertThat(locs.stream().map(Location::segmentId).distinct().count()).isGreaterThan(1);
            for (int i = 0; i < 40; i++) {
                assertThat(TestData.array(store.read(locs.get(i)))).isEqualTo(TestData.bytes(i, 10_000));
            }
            List<LogStore.RecordInfo> scanned = store.scanRecords();
            assertThat(scanned).extracting(LogStore.RecordInfo::location).containsExactlyElementsOf(locs);
            assertThat(scanned.get(7).fileOffset()).isEqualTo(70_000L);
        }
    }

    @Test
    void concurrentAppendersGetDistinctReadableLocations() throws Exception {
        int threads = 8;
        int perThread = 150;
        List<long[]> written = Collections.synchronizedList(new ArrayList<>());
        try (LogStore store = open(1 << 20)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        long seed = thread * 1_000_000L + i;
                        int size = ThreadLocalRandom.current().nextInt(0, 20_000);
                        Location loc = store.appendEvictable(thread, i, TestData.heap(seed, size));
                        if (i % 10 == 0) {
                            store.sync();
                        }
                        written.add(new long[] {seed, loc.dir(), loc.segmentId(), loc.position(), loc.length()});
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            store.sync();
            assertThat(written).hasSize(threads * perThread);
            assertThat(written.stream().map(w -> w[2] + ":" + w[3]).distinct().count()).isEqualTo(written.size());
            for (long[] w : written) {
                Location loc = new Location((int) w[1], w[2], w[3], (int) w[4]);
                assertThat(TestData.array(store.read(loc))).isEqualTo(TestData.bytes(w[0], (int) w[4]));
            }
            assertThat(store.stats().appends()).isEqualTo(threads * perThread);
        }
    }

    @Test
    void flippedPayloadByteIsReportedAsCorruptionNeverReturned() throws Exception {
        Location loc;
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            loc = store.appendEvictable(1, 0, TestData.heap(1, 5000));
            store.sync();
            Path file = dir.resolve(io.wcache.logstore.segment.Segment.fileName(loc.segmentId()));
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                ByteBuffer one = ByteBuffer.allocate(1);
                long at = loc.position() + io.wcache.logstore.segment.SegmentFormat.RECORD_HEADER_SIZE + 4321;
                ch.read(one, at);
                one.put(0, (byte) (one.get(0) ^ 0x40)).clear();
                ch.write(one, at);
            }
            assertThatThrownBy(() -> store.read(loc)).isInstanceOf(WcacheException.Corruption.class)
                    .hasMessageContaining("CRC32C");
            // a range that excludes the bad byte is refused as well: the whole record is verified
            assertThatThrownBy(() -> store.read(loc, 0, 10)).isInstanceOf(WcacheException.Corruption.class);
            assertThat(store.stats().corruptionsSeen()).isEqualTo(2);
        }
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            RecoveryReport.SegmentOutcome o = store.recoveryReport().segments().stream()
                    .filter(s -> s.segmentId() == loc.segmentId()).findFirst().orElseThrow();
            // the damaged record is skipped and reported, not cut off with everything after it
            assertThat(o.outcome()).isEqualTo(RecoveryReport.Outcome.DAMAGED_RECORDS_SKIPPED);
            assertThat(o.droppedBytes()).isZero();
            assertThat(o.damagedRanges()).singleElement().satisfies(r -> {
                assertThat(r.position()).isEqualTo(loc.position());
                assertThat(r.headerIntact()).isTrue();
            });
            assertThatThrownBy(() -> store.read(loc)).isInstanceOf(WcacheException.Corruption.class);
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() {
        try (LogStore store = open(LogStoreConfig.DEFAULT_SEGMENT_SIZE)) {
            assertThatThrownBy(() -> open(LogStoreConfig.DEFAULT_SEGMENT_SIZE))
                    .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("in use");
        }
    }

    @Test
    void oversizedChunkIsRefusedBeforeWriting() {
        ByteBuffer[] huge = new ByteBuffer[3];
        ByteBuffer big = ByteBuffer.allocate(1 << 29);
        huge[0] = big;
        huge[1] = big.duplicate();
        huge[2] = big.duplicate();
        assertThatThrownBy(() -> new Chunk(1, 0, huge, null)).isInstanceOf(WcacheException.InvalidArgument.class);
    }
}
