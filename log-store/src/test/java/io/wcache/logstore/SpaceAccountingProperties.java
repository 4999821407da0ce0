package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.space.PinnedReservation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random appends (pinned and evictable), persists, releases and reclaim passes against a model of
 * the live extents the index would hold (kept up to date by the relocator callbacks): after every
 * pass the store's pinned and evictable byte counts equal the model's, no reservation leaks, and
 * every extent the model still holds reads back its own bytes.
 */
class SpaceAccountingProperties {

    enum Kind { APPEND_PINNED, APPEND_EVICTABLE, PERSIST, RELEASE, RECLAIM }

    record Op(Kind kind, int size, int pick) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.frequency(Tuple.of(3, Kind.APPEND_PINNED), Tuple.of(8, Kind.APPEND_EVICTABLE),
                        Tuple.of(2, Kind.PERSIST), Tuple.of(3, Kind.RELEASE), Tuple.of(1, Kind.RECLAIM)),
                Arbitraries.integers().between(0, 8_000).withDistribution(RandomDistribution.uniform()),
                Arbitraries.integers().between(0, 1_000)).as(Op::new);
        return op.list().ofMinSize(40).ofMaxSize(120);
    }

    /** The index as the worker would keep it: live location -> (region, payload seed, size). */
    static final class Model implements ExtentRelocator {
        final Map<Location, long[]> live = new HashMap<>();

        @Override
        public List<Location> referencedIn(int dir, long segmentId) {
            return List.of();
        }

        @Override
        public synchronized Outcome dropped(Location clean) {
            long[] e = live.remove(clean);
            assertThat(e).as("dropped an extent the index holds").isNotNull();
            assertThat(e[0]).as("only clean extents are dropped").isEqualTo(Region.EVICTABLE.ordinal());
            return Outcome.APPLIED;
        }

        @Override
        public synchronized Outcome relocated(Location from, Location to) {
            long[] e = live.remove(from);
            assertThat(e).as("relocated an extent the index holds").isNotNull();
            live.put(to, e);
            return Outcome.APPLIED;
        }

        synchronized long bytes(Region r) {
            return live.entrySet().stream().filter(e -> e.getValue()[0] == r.ordinal())
                    .mapToLong(e -> e.getKey().length()).sum();
        }

        synchronized Location pick(int n, Region onlyRegion) {
            List<Location> keys = new ArrayList<>();
            for (Map.Entry<Location, long[]> e : live.entrySet()) {
                if (onlyRegion == null || e.getValue()[0] == onlyRegion.ordinal()) {
                    keys.add(e.getKey());
                }
            }
            if (keys.isEmpty()) {
                return null;
            }
            keys.sort(Comparator.comparingLong(Location::segmentId).thenComparingLong(Location::position));
            return keys.get(n % keys.size());
        }
    }

    @Property(tries = 20)
    void accountingMatchesTheIndexThroughEvictionAndCompaction(@ForAll("ops") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory("space");
        Model model = new Model();
        LogStoreConfig cfg = TestData.config(dir, 256 << 10, 16 << 10).withWatermarks(0.5, 0.8)
                .withCompactionThreshold(0.3).withReclaimInterval(Duration.ofHours(1));
        try (LogStore store = LogStore.open(cfg, model)) {
            store.restore(List.of());
            long seed = 0;
            for (Op op : ops) {
                switch (op.kind()) {
                    case APPEND_PINNED, APPEND_EVICTABLE -> {
                        seed++;
                        boolean pinned = op.kind() == Kind.APPEND_PINNED;
                        try (PinnedReservation r = pinned ? store.reservePinned(op.size()) : null) {
                            Location loc = pinned
                                    ? TestData.published(store, store.appendPinned(r, 1, seed, TestData.heap(seed, op.size())))
                                    : TestData.published(store, store.appendEvictable(1, seed, TestData.heap(seed, op.size())));
                            synchronized (model) {
                                model.live.put(loc, new long[] {(pinned ? Region.PINNED : Region.EVICTABLE).ordinal(), seed});
                            }
                        } catch (WcacheException.OutOfSpace full) {
                            // pinned cap or a full directory: refused, nothing written
                        }
                    }
                    case PERSIST -> {
                        Location loc = model.pick(op.pick(), Region.PINNED);
                        if (loc != null) {
                            assertThat(store.markPersisted(loc)).isTrue();
                            synchronized (model) {
                                model.live.get(loc)[0] = Region.EVICTABLE.ordinal();
                            }
                        }
                    }
                    case RELEASE -> {
                        Location loc = model.pick(op.pick(), null);
                        if (loc != null) {
                            assertThat(store.release(loc)).isTrue();
                            synchronized (model) {
                                model.live.remove(loc);
                            }
                        }
                    }
                    case RECLAIM -> {
                        store.reclaimNow();
                        check(store, model);
                    }
                }
            }
            store.reclaimNow();
            check(store, model);
            Statistics.label("evicted").collect(store.stats().evictions() > 0);
            Statistics.label("compacted").collect(store.stats().compactions() > 0);
            Statistics.label("relocated").collect(store.stats().relocatedExtents() > 0);
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void check(LogStore store, Model model) {
        synchronized (model) {
            LogStoreStats s = store.stats();
            assertThat(s.pinnedBytes()).isEqualTo(model.bytes(Region.PINNED));
            assertThat(s.evictableBytes()).isEqualTo(model.bytes(Region.EVICTABLE));
            assertThat(s.pinnedReservedBytes()).isZero();
            assertThat(s.usedBytes()).isLessThanOrEqualTo(s.capacityBytes());
            for (Map.Entry<Location, long[]> e : model.live.entrySet()) {
                Location loc = e.getKey();
                assertThat(store.regionOf(loc)).isEqualTo(Region.values()[(int) e.getValue()[0]]);
                assertThat(TestData.array(store.read(loc))).isEqualTo(TestData.bytes(e.getValue()[1], loc.length()));
            }
        }
    }
}
