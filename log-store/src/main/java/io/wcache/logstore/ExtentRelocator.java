package io.wcache.logstore;

import java.util.List;

/**
 * The index (the Catalog) as eviction and compaction see it: it is the one record of which
 * locations hold live bytes, and every move or drop is applied against it. Calls happen on the
 * reclaiming thread, after the new copies are durable and before the old segment file is deleted;
 * a crash in between leaves a duplicate that restart reconciliation discards, since the index
 * points at exactly one copy. An exception makes the store undo what the index was not told and
 * keep the old segment.
 */
public interface ExtentRelocator {

    /** What the index did with a move or a drop. */
    enum Outcome {
        /** The index now names the copy, or has forgotten the dropped extent. */
        APPLIED,
        /** No index entry names the location: its bytes are dead (a reader may still hold them). */
        UNREFERENCED,
        /** The index still needs the bytes where they are (a drop of bytes the UFS does not hold). */
        REFUSED
    }

    /**
     * A clean (evictable) extent is being evicted: the index should forget it if the UFS holds its
     * bytes, and answer {@link Outcome#REFUSED} otherwise (the extent then stays live and its
     * segment stays).
     */
    Outcome dropped(Location clean);

    /** An extent was copied to {@code to}; the copy is fsynced. The index should point at {@code to}. */
    Outcome relocated(Location from, Location to);

    /**
     * Locations in segment {@code segmentId} of directory {@code dir} that the index still
     * references, at most a few: asked right before the segment file is deleted, which happens
     * only when the answer is empty.
     */
    List<Location> referencedIn(int dir, long segmentId);

    /**
     * A pinned extent could not be relocated because its stored bytes fail their checksum; its
     * data is lost. The default does nothing beyond the store's own log line.
     */
    default void lost(Location pinned) {
    }

    /** A relocator for stores that hold no indexed data (benchmarks): every move applies, nothing is referenced. */
    ExtentRelocator NONE = answering(Outcome.APPLIED);

    /** A relocator that answers every move and drop with {@code outcome} and references nothing. */
    static ExtentRelocator answering(Outcome outcome) {
        return new ExtentRelocator() {
            @Override
            public Outcome dropped(Location clean) {
                return outcome;
            }

            @Override
            public Outcome relocated(Location from, Location to) {
                return outcome;
            }

            @Override
            public List<Location> referencedIn(int dir, long segmentId) {
                return List.of();
            }
        };
    }
}
