package io.wcache.logstore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic payloads and small store configurations for tests. */
final class TestData {

    private TestData() {
    }

    /** Bytes derived from (seed, index): any record's expected content can be recomputed. */
    static byte[] bytes(long seed, int length) {
        byte[] b = new byte[length];
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + length);
        for (int i = 0; i < length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    static ByteBuffer heap(long seed, int length) {
        return ByteBuffer.wrap(bytes(seed, length));
    }

    static ByteBuffer direct(long seed, int length) {
        ByteBuffer d = ByteBuffer.allocateDirect(length);
        d.put(bytes(seed, length)).flip();
        return d;
    }

    static byte[] array(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** As a writer whose index has recorded the location: lets the reclaimer move it. */
    static Location published(LogStore store, Location loc) {
        store.published(List.of(loc));
        return loc;
    }

    static LogStoreConfig config(Path dir, long capacity, long segmentSize) {
        return LogStoreConfig.of(dir, capacity).withSegmentSize(segmentSize);
    }

    /** Records every relocator call, in order. */
    static final class RecordingRelocator implements ExtentRelocator {
        final List<Location> dropped = new ArrayList<>();
        final List<Location[]> relocated = new ArrayList<>();
        final List<Location> lost = new ArrayList<>();

        @Override
        public List<Location> referencedIn(int dir, long segmentId) {
            return List.of();
        }

        @Override
        public synchronized Outcome dropped(Location clean) {
            dropped.add(clean);
            return Outcome.APPLIED;
        }

        @Override
        public synchronized Outcome relocated(Location from, Location to) {
            relocated.add(new Location[] {from, to});
            return Outcome.APPLIED;
        }

        @Override
        public synchronized void lost(Location pinned) {
            lost.add(pinned);
        }
    }
}
