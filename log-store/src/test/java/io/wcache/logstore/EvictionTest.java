package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.eviction.ReclaimResult;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.space.PinnedReservation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvictionTest {

    private static final int RECORD = 16 << 10;

    @TempDir
    Path dir;

    /** 640 KiB in 64 KiB segments (three 16 KiB records each); evict above 80 % down to 50 %. */
    private LogStoreConfig config() {
        return TestData.config(dir, 640 << 10, 64 << 10).withWatermarks(0.5, 0.8).withCompactionThreshold(0)
                .withReclaimInterval(Duration.ofHours(1));
    }

    @Test
    void evictsLeastRecentlyUsedSegmentsFirstDownToTheLowWatermark() {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        try (LogStore store = LogStore.open(config(), relocator)) {
            store.restore(List.of());
            List<Location> locs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                locs.add(TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, RECORD))));
            }
            store.sync();
            assertThat(store.stats().evictions()).isZero();
            List<Long> segmentIds = locs.stream().map(Location::segmentId).distinct().toList();
            assertThat(segmentIds).hasSize(10);
            // the two oldest segments are read, so they become the most recently used
            store.read(locs.get(0));
            store.read(locs.get(3));
            for (int i = 30; i < 33; i++) {
                locs.add(TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, RECORD))));
            }
            store.reclaimNow();

            LogStoreStats s = store.stats();
            assertThat(s.usedBytes()).isLessThanOrEqualTo((long) (0.5 * (640 << 10)));
            Set<Long> evicted = relocator.dropped.stream().map(Location::segmentId).collect(Collectors.toSet());
            // LRU order: segments 3..10 by seal time, then 1 and 2 (read last)
            List<Long> lruOrder = new ArrayList<>(segmentIds.subList(2, 10));
            lruOrder.addAll(segmentIds.subList(0, 2));
            assertThat(evicted).isNotEmpty();
            assertThat(new ArrayList<>(lruOrder.subList(0, evicted.size()))).containsExactlyInAnyOrderElementsOf(evicted);
            assertThat(evicted).doesNotContain(segmentIds.get(0), segmentIds.get(1));
            assertThat(relocator.relocated).isEmpty();
            assertThat(s.evictions()).isEqualTo(evicted.size());
            for (Location loc : locs) {
                if (evicted.contains(loc.segmentId())) {
                    assertThat(relocator.dropped).contains(loc);
                    assertThatThrownBy(() -> store.read(loc)).isInstanceOf(WcacheException.NotFound.class);
                    assertThat(Files.exists(dir.resolve(Segment.fileName(loc.segmentId())))).isFalse();
                } else {
                    assertThat(store.read(loc).remaining()).isEqualTo(RECORD);
                }
            }
        }
    }

    @Test
    void pinnedExtentsAreRelocatedDurablyBeforeTheOldFileIsDeleted() {
        AtomicReference<LogStore> storeRef = new AtomicReference<>();
        List<Location[]> moves = new ArrayList<>();
        List<Location> dropped = new ArrayList<>();
        ExtentRelocator checking = new ExtentRelocator() {
            @Override
            public List<Location> referencedIn(int dir, long segmentId) {
                return List.of();
            }

            @Override
            public Outcome dropped(Location clean) {
                dropped.add(clean);
                return Outcome.APPLIED;
            }

            @Override
            public Outcome relocated(Location from, Location to) {
                LogStore store = storeRef.get();
                // the old copy still exists and is readable while the index is updated
                assertThat(Files.exists(dir.resolve(Segment.fileName(from.segmentId())))).isTrue();
                assertThat(TestData.array(store.read(to))).isEqualTo(TestData.array(store.read(from)));
                assertThat(store.stats().syncs()).as("the copy was synced before this call").isPositive();
                moves.add(new Location[] {from, to});
                return Outcome.APPLIED;
            }
        };
        try (LogStore store = LogStore.open(config(), checking)) {
            storeRef.set(store);
            store.restore(List.of());
            PinnedReservation r = store.reservePinned(10 * RECORD);
            List<Location> pinned = new ArrayList<>();
            for (int i = 0; i < 33; i++) {
                if (i % 3 == 0) {
                    pinned.add(TestData.published(store, store.appendPinned(r, 2, i, TestData.heap(i, RECORD))));
                } else {
                    TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, RECORD)));
                }
            }
            r.close();
            long pinnedBefore = store.stats().pinnedBytes();
            store.reclaimNow();

            assertThat(store.stats().evictions()).isPositive();
            assertThat(moves).isNotEmpty();
            assertThat(store.stats().pinnedBytes()).as("pinned bytes are never evicted").isEqualTo(pinnedBefore);
            for (Location[] m : moves) {
                assertThat(pinned).contains(m[0]);
                assertThatThrownBy(() -> store.read(m[0])).isInstanceOf(WcacheException.NotFound.class);
                assertThat(store.regionOf(m[1])).isEqualTo(Region.PINNED);
                int seed = (int) pinnedSeed(pinned, m[0]);
                assertThat(TestData.array(store.read(m[1]))).isEqualTo(TestData.bytes(seed, RECORD));
            }
            assertThat(dropped).allSatisfy(d -> assertThat(pinned).doesNotContain(d));

            // an operation on a moved location that raced the move reaches the new copy
            Location[] first = moves.get(0);
            assertThat(store.markPersisted(first[0])).isTrue();
            assertThat(store.regionOf(first[1])).isEqualTo(Region.EVICTABLE);
            assertThat(store.release(first[0])).isTrue();
            assertThat(store.regionOf(first[1])).isNull();
        }
    }

    private static long pinnedSeed(List<Location> pinned, Location loc) {
        return pinned.indexOf(loc) * 3L;
    }

    @Test
    void compactionRewritesSparseSegmentsAndDeletesDeadOnes() {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        LogStoreConfig cfg = TestData.config(dir, 64 << 20, 64 << 10).withCompactionThreshold(0.5)
                .withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, relocator)) {
            store.restore(List.of());
            List<Location> locs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                locs.add(TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, RECORD))));
            }
            store.sync();
            // segment A keeps one record of three (sparse), segment B none (dead), segment C all
            store.release(locs.get(0));
            store.release(locs.get(1));
            store.release(locs.get(3));
            store.release(locs.get(4));
            store.release(locs.get(5));
            long used = store.stats().usedBytes();
            ReclaimResult result = store.reclaimNow();

            assertThat(result.compactedSegments()).isEqualTo(2);
            assertThat(result.evictedSegments()).isZero();
            assertThat(relocator.relocated).hasSize(1);
            assertThat(relocator.relocated.get(0)[0]).isEqualTo(locs.get(2));
            Location moved = relocator.relocated.get(0)[1];
            assertThat(TestData.array(store.read(moved))).isEqualTo(TestData.bytes(2, RECORD));
            assertThat(store.regionOf(moved)).isEqualTo(Region.EVICTABLE);
            assertThat(relocator.dropped).as("compaction keeps clean data").isEmpty();
            assertThat(Files.exists(dir.resolve(Segment.fileName(locs.get(0).segmentId())))).isFalse();
            assertThat(Files.exists(dir.resolve(Segment.fileName(locs.get(3).segmentId())))).isFalse();
            for (int i = 6; i < 10; i++) {
                assertThat(TestData.array(store.read(locs.get(i)))).isEqualTo(TestData.bytes(i, RECORD));
            }
            assertThat(store.stats().usedBytes()).isLessThan(used);
            assertThat(store.stats().compactions()).isEqualTo(2);
        }
    }

    @Test
    void corruptPinnedExtentIsReportedLostNotCopiedDuringCompaction() throws Exception {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        LogStoreConfig cfg = TestData.config(dir, 64 << 20, 64 << 10).withCompactionThreshold(0.5)
                .withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, relocator)) {
            store.restore(List.of());
            PinnedReservation r = store.reservePinned(2 * RECORD);
            Location bad = TestData.published(store, store.appendPinned(r, 1, 0, TestData.heap(0, RECORD)));
            Location gone1 = TestData.published(store, store.appendEvictable(1, 1, TestData.heap(1, RECORD)));
            Location gone2 = TestData.published(store, store.appendEvictable(1, 2, TestData.heap(2, RECORD)));
            TestData.published(store, store.appendEvictable(1, 3, TestData.heap(3, RECORD)));
            r.close();
            store.sync();
            store.release(gone1);
            store.release(gone2);
            Path file = dir.resolve(Segment.fileName(bad.segmentId()));
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), bad.position() + io.wcache.logstore.segment.SegmentFormat.RECORD_HEADER_SIZE + 100);
            }
            store.reclaimNow();

            assertThat(relocator.lost).containsExactly(bad);
            assertThat(relocator.relocated).isEmpty();
            assertThat(store.stats().pinnedBytes()).isZero();
            assertThat(store.stats().corruptionsSeen()).isPositive();
            assertThat(Files.exists(file)).isFalse();
        }
    }

    @Test
    void failingRelocatorKeepsTheSegmentAndItsExtents() {
        ExtentRelocator failing = new ExtentRelocator() {
            @Override
            public List<Location> referencedIn(int dir, long segmentId) {
                return List.of();
            }

            @Override
            public Outcome dropped(Location clean) {
                return Outcome.APPLIED;
            }

            @Override
            public Outcome relocated(Location from, Location to) {
                throw new IllegalStateException("index unavailable");
            }
        };
        LogStoreConfig cfg = TestData.config(dir, 64 << 20, 64 << 10).withCompactionThreshold(0.5)
                .withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, failing)) {
            store.restore(List.of());
            PinnedReservation r = store.reservePinned(RECORD);
            Location keep = TestData.published(store, store.appendPinned(r, 1, 0, TestData.heap(0, RECORD)));
            Location gone1 = TestData.published(store, store.appendEvictable(1, 1, TestData.heap(1, RECORD)));
            Location gone2 = TestData.published(store, store.appendEvictable(1, 2, TestData.heap(2, RECORD)));
            TestData.published(store, store.appendEvictable(1, 3, TestData.heap(3, RECORD)));
            store.release(gone1);
            store.release(gone2);
            long pinned = store.stats().pinnedBytes();
            ReclaimResult result = store.reclaimNow();

            assertThat(result.compactedSegments()).isZero();
            assertThat(store.regionOf(keep)).isEqualTo(Region.PINNED);
            assertThat(store.stats().pinnedBytes()).isEqualTo(pinned);
            assertThat(TestData.array(store.read(keep))).isEqualTo(TestData.bytes(0, RECORD));
        }
    }

    @Test
    void restoreMakesUnlistedExtentsDeadAndReportsMissingOnes() {
        List<Location> locs = new ArrayList<>();
        LogStoreConfig cfg = TestData.config(dir, 64 << 20, 64 << 10).withCompactionThreshold(0.5)
                .withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
            for (int i = 0; i < 6; i++) {
                locs.add(TestData.published(store, store.appendEvictable(1, i, TestData.heap(i, RECORD))));
            }
        }
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        try (LogStore store = LogStore.open(cfg, relocator)) {
            assertThatThrownBy(store::reclaimNow).isInstanceOf(IllegalStateException.class);
            Location bogus = new Location(0, locs.get(5).segmentId(), locs.get(5).position() + 1_000_000, 10);
            Location shifted = new Location(0, locs.get(1).segmentId(), locs.get(1).position() + 5, RECORD);
            RestoreReport report = store.restore(List.of(
                    new LiveExtent(locs.get(0), Region.PINNED),
                    new LiveExtent(locs.get(4), Region.EVICTABLE),
                    new LiveExtent(bogus, Region.PINNED),
                    new LiveExtent(shifted, Region.EVICTABLE)));
            assertThat(report.restored()).isEqualTo(2);
            assertThat(report.missing()).as("past what survived of the segment last appended to").containsExactly(bogus);
            assertThat(report.damaged()).as("frames no record").containsExactly(shifted);
            assertThat(store.stats().pinnedBytes()).isEqualTo(RECORD);
            assertThat(store.stats().evictableBytes()).isEqualTo(RECORD);

            store.reclaimNow();
            assertThat(relocator.dropped).isEmpty();
            assertThat(relocator.relocated).extracting(m -> m[0]).containsExactlyInAnyOrder(locs.get(0), locs.get(4));
            for (Location[] m : relocator.relocated) {
                assertThat(store.read(m[1]).remaining()).isEqualTo(RECORD);
            }
            assertThat(store.stats().pinnedBytes()).isEqualTo(RECORD);
            assertThat(store.scanRecords()).hasSize(2);
        }
    }

    @Test
    void readsRacingEvictionSeeValidBytesOrNotFoundNeverGarbage() throws Exception {
        Map<Long, Location> current = new ConcurrentHashMap<>();
        ExtentRelocator tracking = new ExtentRelocator() {
            @Override
            public List<Location> referencedIn(int dir, long segmentId) {
                return List.of();
            }

            @Override
            public Outcome dropped(Location clean) {
                return Outcome.APPLIED;
            }

            @Override
            public Outcome relocated(Location from, Location to) {
                current.replaceAll((k, v) -> v.equals(from) ? to : v);
                return Outcome.APPLIED;
            }
        };
        LogStoreConfig cfg = TestData.config(dir, 1 << 20, 64 << 10).withWatermarks(0.4, 0.6)
                .withCompactionThreshold(0.3).withReclaimInterval(Duration.ofMillis(50));
        try (LogStore store = LogStore.open(cfg, tracking)) {
            store.restore(List.of());
            List<Location> all = new CopyOnWriteList();
            PinnedReservation r = store.reservePinned(8 * RECORD);
            for (long i = 0; i < 8; i++) {
                Location loc = TestData.published(store, store.appendPinned(r, 2, i, TestData.heap(i, RECORD)));
                current.put(i, loc);
            }
            r.close();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong ok = new AtomicLong();
            AtomicLong notFound = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Map<Location, Long> seedOf = new ConcurrentHashMap<>();
            current.forEach((k, v) -> seedOf.put(v, k));
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread reader = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        Location loc;
                        long seed;
                        if (rnd.nextBoolean() || all.isEmpty()) {
                            seed = rnd.nextLong(8);
                            loc = current.get(seed);
                        } else {
                            loc = all.get(rnd.nextInt(all.size()));
                            seed = seedOf.getOrDefault(loc, -1L);
                        }
                        try {
                            byte[] got = TestData.array(store.read(loc));
                            long expectedSeed = seedOf.getOrDefault(loc, seed);
                            if (!java.util.Arrays.equals(got, TestData.bytes(expectedSeed, RECORD))) {
                                failure.compareAndSet(null, new AssertionError("garbage read at " + loc));
                            }
                            ok.incrementAndGet();
                        } catch (WcacheException.NotFound e) {
                            notFound.incrementAndGet();
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                });
                reader.start();
                readers.add(reader);
            }
            long deadline = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            long seed = 100;
            while (System.nanoTime() < deadline) {
                Location loc = TestData.published(store, store.appendEvictable(1, seed, TestData.heap(seed, RECORD)));
                seedOf.put(loc, seed);
                all.add(loc);
                seed++;
                if (seed % 16 == 0) {
                    store.reclaimNow();
                }
                current.forEach((k, v) -> seedOf.putIfAbsent(v, k));
            }
            stop.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertThat(failure.get()).isNull();
            assertThat(ok.get()).isPositive();
            assertThat(notFound.get()).as("some reads raced eviction").isPositive();
            assertThat(store.stats().evictions()).isPositive();
            for (long i = 0; i < 8; i++) {
                assertThat(TestData.array(store.read(current.get(i)))).isEqualTo(TestData.bytes(i, RECORD));
            }
        }
    }

    /** Compaction-ready store: 64 KiB segments, compaction below half live. */
    private LogStoreConfig compacting() {
        return TestData.config(dir, 64 << 20, 64 << 10).withCompactionThreshold(0.5)
                .withReclaimInterval(Duration.ofHours(1));
    }

    @Test
    void segmentWithAnExtentItsWriterHasNotRecordedYetIsLeftAlone() {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        try (LogStore store = LogStore.open(compacting(), relocator)) {
            store.restore(List.of());
            Location pending = store.appendEvictable(1, 0, TestData.heap(0, RECORD));
            Location gone1 = TestData.published(store, store.appendEvictable(1, 1, TestData.heap(1, RECORD)));
            Location gone2 = TestData.published(store, store.appendEvictable(1, 2, TestData.heap(2, RECORD)));
            store.appendEvictable(1, 3, TestData.heap(3, RECORD));
            store.release(gone1);
            store.release(gone2);

            assertThat(store.reclaimNow().compactedSegments()).isZero();
            assertThat(relocator.relocated).isEmpty();
            assertThat(TestData.array(store.read(pending))).isEqualTo(TestData.bytes(0, RECORD));

            store.published(List.of(pending));
            assertThat(store.reclaimNow().compactedSegments()).isEqualTo(1);
            assertThat(relocator.relocated).extracting(m -> m[0]).containsExactly(pending);
        }
    }

    @Test
    void segmentTheIndexStillReferencesIsKeptAndTheMismatchCounted() {
        AtomicReference<Location> referenced = new AtomicReference<>();
        ExtentRelocator index = new ExtentRelocator() {
            @Override
            public Outcome dropped(Location clean) {
                return Outcome.APPLIED;
            }

            @Override
            public Outcome relocated(Location from, Location to) {
                return Outcome.APPLIED;
            }

            @Override
            public List<Location> referencedIn(int d, long segmentId) {
                Location l = referenced.get();
                return l != null && l.segmentId() == segmentId ? List.of(l) : List.of();
            }
        };
        try (LogStore store = LogStore.open(compacting(), index)) {
            store.restore(List.of());
            // The ledger believes this record dead, the index still points at it: a disagreement.
            Location stray = TestData.published(store, store.appendEvictable(1, 0, TestData.heap(0, RECORD)));
            Location dead1 = store.appendEvictable(1, 1, TestData.heap(1, RECORD));
            Location dead2 = store.appendEvictable(1, 2, TestData.heap(2, RECORD));
            store.appendEvictable(1, 3, TestData.heap(3, RECORD));
            store.release(dead1);
            store.release(dead2);
            store.release(stray);
            referenced.set(stray);

            store.reclaimNow();

            assertThat(Files.exists(dir.resolve(Segment.fileName(stray.segmentId())))).isTrue();
            assertThat(TestData.array(store.read(stray))).isEqualTo(TestData.bytes(0, RECORD));
            assertThat(store.counters().segmentDeletesRefused.get()).isEqualTo(1);
            assertThat(store.regionOf(stray)).as("live again, so a later pass moves it").isEqualTo(Region.PINNED);
        }
    }

    @Test
    void moveOfBytesTheIndexNoLongerReferencesLeavesNoLiveCopy() {
        ExtentRelocator index = ExtentRelocator.answering(ExtentRelocator.Outcome.UNREFERENCED);
        try (LogStore store = LogStore.open(compacting(), index)) {
            store.restore(List.of());
            Location old = TestData.published(store, store.appendEvictable(1, 0, TestData.heap(0, RECORD)));
            Location gone1 = TestData.published(store, store.appendEvictable(1, 1, TestData.heap(1, RECORD)));
            Location gone2 = TestData.published(store, store.appendEvictable(1, 2, TestData.heap(2, RECORD)));
            store.appendEvictable(1, 3, TestData.heap(3, RECORD));
            store.release(gone1);
            store.release(gone2);
            long evictable = store.stats().evictableBytes();

            assertThat(store.reclaimNow().compactedSegments()).isEqualTo(1);
            assertThat(store.regionOf(old)).isNull();
            assertThat(store.stats().evictableBytes()).as("the copy is dead too").isEqualTo(evictable - RECORD);
        }
    }

    @Test
    void leaseReadsRecordsAfterTheirSegmentWasCompactedAway() {
        TestData.RecordingRelocator relocator = new TestData.RecordingRelocator();
        try (LogStore store = LogStore.open(compacting(), relocator)) {
            store.restore(List.of());
            Location kept = TestData.published(store, store.appendEvictable(1, 0, TestData.heap(0, RECORD)));
            Location gone1 = TestData.published(store, store.appendEvictable(1, 1, TestData.heap(1, RECORD)));
            Location gone2 = TestData.published(store, store.appendEvictable(1, 2, TestData.heap(2, RECORD)));
            store.appendEvictable(1, 3, TestData.heap(3, RECORD));
            try (LogStore.Lease lease = store.lease(List.of(kept))) {
                store.release(gone1);
                store.release(gone2);
                assertThat(store.reclaimNow().compactedSegments()).isEqualTo(1);
                assertThat(Files.exists(dir.resolve(Segment.fileName(kept.segmentId())))).isFalse();
                assertThatThrownBy(() -> store.read(kept)).isInstanceOf(WcacheException.NotFound.class);
                assertThat(TestData.array(lease.read(kept, 0, RECORD))).isEqualTo(TestData.bytes(0, RECORD));
            }
            assertThatThrownBy(() -> store.lease(List.of(kept))).isInstanceOf(WcacheException.NotFound.class);
        }
    }

    /** A small thread-safe list for the race test. */
    private static final class CopyOnWriteList extends java.util.concurrent.CopyOnWriteArrayList<Location> {
    }
}
