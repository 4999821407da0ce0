package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.segment.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Random appends and syncs, then damage past the last sync (the file cut at a random byte, or
 * random bytes overwritten); reopening must yield every synced record, possibly some later
 * complete valid ones, and never a corrupt one.
 */
class CrashRecoveryProperties {

    record Op(int size, boolean syncAfter) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 24_000),
                Arbitraries.integers().between(0, 3).map(i -> i == 0)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 40)
    void reopeningYieldsExactlyTheSyncedRecordsAndNeverACorruptOne(
            @ForAll("ops") List<Op> ops,
            @ForAll boolean cut,
            @ForAll @DoubleRange(min = 0, max = 1) double where,
            @ForAll @IntRange(min = 1, max = 64) int overwriteLength,
            @ForAll long noiseSeed) throws IOException {
        Path dir = Files.createTempDirectory("crash");
        try {
            LogStoreConfig cfg = TestData.config(dir, 1L << 30, 64 << 10);
            List<Location> appended = new ArrayList<>();
            int synced = 0;
            try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
                for (int i = 0; i < ops.size(); i++) {
                    appended.add(store.appendEvictable(1, i, TestData.heap(i, ops.get(i).size())));
                    if (ops.get(i).syncAfter()) {
                        store.sync();
                        synced = i + 1;
                    }
                }
            }
            damageNewestSegment(dir, appended.subList(0, synced), cut, where, overwriteLength, noiseSeed);

            try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
                List<LogStore.RecordInfo> found = store.scanRecords();
                Set<Location> foundLocations = found.stream().map(LogStore.RecordInfo::location).collect(Collectors.toSet());
                for (int i = 0; i < synced; i++) {
                    assertThat(foundLocations).as("synced record %d survives", i).contains(appended.get(i));
                    assertThat(TestData.array(store.read(appended.get(i)))).isEqualTo(TestData.bytes(i, ops.get(i).size()));
                }
                for (LogStore.RecordInfo r : found) {
                    int index = appended.indexOf(r.location());
                    assertThat(index).as("recovered record %s was appended", r.location()).isNotNegative();
                    assertThat(r.fileOffset()).isEqualTo(index);
                    assertThat(TestData.array(store.read(r.location()))).isEqualTo(TestData.bytes(index, ops.get(index).size()));
                }
                for (int i = synced; i < appended.size(); i++) {
                    Location loc = appended.get(i);
                    try {
                        assertThat(TestData.array(store.read(loc))).isEqualTo(TestData.bytes(i, ops.get(i).size()));
                    } catch (WcacheException.NotFound | WcacheException.Corruption expected) {
                        // lost past the last sync: refused, never returned as data
                    }
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Damages the newest segment file somewhere after the end of the last synced record it holds. */
    private static void damageNewestSegment(Path dir, List<Location> synced, boolean cut, double where, int length,
                                            long seed) throws IOException {
        long newest;
        try (Stream<Path> files = Files.list(dir)) {
            newest = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".seg"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 4), 16)).max().orElseThrow();
        }
        long min = synced.stream().filter(l -> l.segmentId() == newest)
                .mapToLong(l -> l.position() + io.wcache.logstore.segment.SegmentFormat.RECORD_HEADER_SIZE + l.length()).max().orElse(0);
        Path file = dir.resolve(Segment.fileName(newest));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size <= min) {
                return;
            }
            long at = min + (long) Math.floor(where * (size - min - 1));
            if (cut) {
                ch.truncate(at);
            } else {
                byte[] noise = new byte[(int) Math.min(length, size - at)];
                new Random(seed).nextBytes(noise);
                ch.write(ByteBuffer.wrap(noise), at);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
