package io.wcache.properties.cache;

import io.wcache.logstore.segment.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * A stopped worker's segment files, and the damage the properties do to them: the bit-flip
 * property and the stateful property's corruption action flip bytes the same way.
 */
final class SegmentFiles {

    private SegmentFiles() {
    }

    /** Every segment file under a cache directory, sorted by name. */
    static List<Path> list(Path cacheDir) throws IOException {
        try (Stream<Path> s = Files.walk(cacheDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    /** The file of one segment, by the id a {@code Location} names. */
    static Path of(Path cacheDir, long segmentId) throws IOException {
        String name = Segment.fileName(segmentId);
        try (Stream<Path> s = Files.walk(cacheDir)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no segment file " + name + " under " + cacheDir));
        }
    }

    /** The segment id a segment file's name carries. */
    static long id(Path segmentFile) {
        return Long.parseLong(segmentFile.getFileName().toString().replace(".seg", ""), 16);
    }

    /** XORs one byte of a file with {@code xor} (non-zero: the byte changes). */
    static void flip(Path file, long at, byte xor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ xor)).flip();
            ch.write(one, at);
        }
    }
}
