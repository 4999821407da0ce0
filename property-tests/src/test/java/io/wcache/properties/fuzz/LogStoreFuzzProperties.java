package io.wcache.properties.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.logstore.Region;
import io.wcache.logstore.RestoreReport;
import io.wcache.logstore.recovery.RecoveryReport;
import io.wcache.logstore.segment.SegmentFormat;
import io.wcache.properties.support.Bounded;
import io.wcache.properties.support.SoakTries;
import io.wcache.persister.testing.TempDirs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Arbitrary bytes in the log store's segment files: damaged segments written by the store itself
 * (bytes flipped, overwritten, cut or appended anywhere) and files of pure garbage. Opening the
 * store must never throw, hang or wipe anything readable; it reports what it cut or skipped in its
 * recovery report; a fault costs only the records it touched: every record none of whose bytes
 * changed (before or after the damage) survives byte-identical and is restored; and no read ever
 * returns bytes other than the ones written: it returns them or fails with a typed error.
 */
@SoakTries
class LogStoreFuzzProperties {

    private static final Duration STEP = Duration.ofSeconds(20);
    private static final long CAPACITY = 64L << 20;

    /** One way of damaging a file; positions are fractions of the file length so shrinking stays meaningful. */
    sealed interface Damage {
        byte[] apply(byte[] file);
    }

    record Flip(double at, byte xor) implements Damage {
        @Override
        public byte[] apply(byte[] f) {
            if (f.length == 0) {
                return f;
            }
            byte[] out = f.clone();
            int i = (int) Math.min(f.length - 1, (long) (at * f.length));
            out[i] ^= xor;
            return out;
        }
    }

    record Overwrite(double at, byte[] bytes) implements Damage {
        @Override
        public byte[] apply(byte[] f) {
            byte[] out = f.clone();
            int start = (int) Math.min(f.length, (long) (at * f.length));
            System.arraycopy(bytes, 0, out, start, Math.min(bytes.length, f.length - start));
            return out;
        }

        @Override
        public String toString() {
            return "Overwrite[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]";
        }
    }

    record Truncate(double keep) implements Damage {
        @Override
        public byte[] apply(byte[] f) {
            return Arrays.copyOf(f, (int) (keep * f.length));
        }
    }

    record AppendGarbage(byte[] bytes) implements Damage {
        @Override
        public byte[] apply(byte[] f) {
            byte[] out = Arrays.copyOf(f, f.length + bytes.length);
            System.arraycopy(bytes, 0, out, f.length, bytes.length);
            return out;
        }

        @Override
        public String toString() {
            return "AppendGarbage[" + bytes.length + " bytes]";
        }
    }

    @Provide
    Arbitrary<List<byte[]>> payloads() {
        Arbitrary<byte[]> one = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.bytes().array(byte[].class).ofMaxSize(200)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 70_000).map(n -> {
                    byte[] b = new byte[n];
                    new java.util.Random(n).nextBytes(b);
                    return b;
                })));
        return one.list().ofMinSize(1).ofMaxSize(10);
    }

    @Provide
    Arbitrary<List<Damage>> damages() {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1);
        Arbitrary<Damage> flip = Combinators.combine(at, Arbitraries.bytes().filter(b -> b != 0)).as(Flip::new);
        Arbitrary<Damage> overwrite = Combinators.combine(at, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40))
                .as(Overwrite::new);
        Arbitrary<Damage> truncate = at.map(Truncate::new);
        Arbitrary<Damage> garbage = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300).map(AppendGarbage::new);
        return Arbitraries.oneOf(flip, overwrite, truncate, garbage).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 100)
    void damagedSegmentsKeepTheirValidPrefixAndNeverReturnWrongBytes(@ForAll("payloads") List<byte[]> payloads,
                                                                      @ForAll("damages") List<Damage> damages)
            throws IOException {
        Path dir = TempDirs.create("logfuzz");
        try {
            List<Location> locations = new ArrayList<>();
            Bounded.run("first open and append", STEP, () -> {
                try (LogStore store = LogStore.open(LogStoreConfig.of(dir, CAPACITY), ExtentRelocator.NONE)) {
                    store.restore(List.of());
                    for (int i = 0; i < payloads.size(); i++) {
                        locations.add(store.append(Chunk.evictable(i + 1, 0, ByteBuffer.wrap(payloads.get(i)))));
                    }
                    store.sync();
                }
            });
            Path segment = onlySegment(dir);
            byte[] original = Files.readAllBytes(segment);
            byte[] mutated = original;
            for (Damage d : damages) {
                mutated = d.apply(mutated);
            }
            byte[] damaged = mutated;
            Files.write(segment, damaged);
            long firstDamaged = firstDifference(original, damaged);

            Bounded.run("reopen of a damaged segment", STEP, () -> {
                try (LogStore store = LogStore.open(LogStoreConfig.of(dir, CAPACITY), ExtentRelocator.NONE)) {
                    RecoveryReport report = store.recoveryReport();
                    assertThat(report.segments()).as("one outcome for the one segment file").hasSize(1);
                    RecoveryReport.SegmentOutcome outcome = report.segments().get(0);
                    if (outcome.outcome() == RecoveryReport.Outcome.QUARANTINED) {
                        assertThat(outcome.path()).as("an unreadable segment is set aside, not deleted").exists();
                        assertThat(Files.size(outcome.path())).isEqualTo(damaged.length);
                    }
                    if (firstDamaged < SegmentFormat.SEGMENT_HEADER_SIZE
                            && firstDamaged < damaged.length) {
                        assertThat(outcome.outcome()).as("a changed segment header is noticed")
                                .isIn(RecoveryReport.Outcome.QUARANTINED, RecoveryReport.Outcome.DELETED_EMPTY,
                                        RecoveryReport.Outcome.HEADER_REPAIRED);
                    }
                    RestoreReport restored = store.restore(locations.stream()
                            .map(l -> new LiveExtent(l, Region.EVICTABLE)).toList());
                    Set<Location> missing = new HashSet<>(restored.missing());
                    for (int i = 0; i < locations.size(); i++) {
                        Location loc = locations.get(i);
                        boolean untouched = untouched(original, damaged, loc);
                        if (untouched) {
                            assertThat(outcome.outcome()).as("a segment with intact records is not set aside")
                                    .isNotEqualTo(RecoveryReport.Outcome.QUARANTINED);
                            assertThat(missing).as("record %d: none of its bytes changed", i).doesNotContain(loc);
                            assertThat(restored.damaged()).as("record %d: none of its bytes changed", i).doesNotContain(loc);
                            assertThat(bytes(store.read(loc))).as("record %d", i).isEqualTo(payloads.get(i));
                        } else {
                            try {
                                assertThat(bytes(store.read(loc))).as("record %d read after damage", i)
                                        .isEqualTo(payloads.get(i));
                            } catch (WcacheException.Corruption | WcacheException.NotFound expected) {
                                // reported, never silently wrong
                            }
                        }
                    }
                    // The store is usable after recovery.
                    byte[] fresh = "after-recovery".getBytes();
                    Location loc = store.append(Chunk.evictable(999, 0, ByteBuffer.wrap(fresh)));
                    store.sync();
                    assertThat(bytes(store.read(loc))).isEqualTo(fresh);
                }
            });
        } finally {
            TempDirs.delete(dir);
        }
    }

    @Provide
    Arbitrary<byte[]> segmentFiles() {
        Arbitrary<byte[]> garbage = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> headed = garbage.map(tail -> {
            ByteBuffer b = ByteBuffer.allocate(SegmentFormat.SEGMENT_HEADER_SIZE + tail.length);
            SegmentFormat.encodeSegmentHeader(b, 1, 0);
            b.position(SegmentFormat.SEGMENT_HEADER_SIZE).put(tail);
            return b.array();
        });
        return Arbitraries.oneOf(garbage, headed);
    }

    @Property(tries = 100)
    void arbitraryBytesAsASegmentFileAreReportedNeverACrash(@ForAll("segmentFiles") byte[] content,
                                                            @ForAll @Size(max = 5) List<@net.jqwik.api.constraints.IntRange(max = 700) Integer> positions)
            throws IOException {
        Path dir = TempDirs.create("logfuzz");
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(String.format("%016x.seg", 1)), content);
            Bounded.run("open over an arbitrary segment file", STEP, () -> {
                try (LogStore store = LogStore.open(LogStoreConfig.of(dir, CAPACITY), ExtentRelocator.NONE)) {
                    assertThat(store.recoveryReport().segments()).hasSize(1);
                    store.restore(List.of());
                    // Reads of locations into the garbage fail with a typed error, never another exception.
                    for (int p : positions) {
                        try {
                            store.read(new Location(0, 1, p, p % 97));
                        } catch (WcacheException.Corruption | WcacheException.NotFound expected) {
                            // reported
                        }
                    }
                    byte[] fresh = "written-after".getBytes();
                    Location loc = store.append(Chunk.evictable(7, 0, ByteBuffer.wrap(fresh)));
                    store.sync();
                    assertThat(bytes(store.read(loc))).isEqualTo(fresh);
                }
            });
        } finally {
            TempDirs.delete(dir);
        }
    }

    private static Path onlySegment(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> segs = s.filter(p -> p.getFileName().toString().endsWith(".seg")).toList();
            assertThat(segs).hasSize(1);
            return segs.get(0);
        }
    }

    /** Whether every byte of {@code loc}'s record is present and unchanged in {@code damaged}. */
    private static boolean untouched(byte[] original, byte[] damaged, Location loc) {
        long end = loc.position() + SegmentFormat.frameSize(loc.length());
        if (end > damaged.length) {
            return false;
        }
        for (int i = (int) loc.position(); i < end; i++) {
            if (original[i] != damaged[i]) {
                return false;
            }
        }
        return true;
    }

    private static long firstDifference(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
