package io.wcache.logstore;

/**
 * Told about extents that eviction and compaction remove from a segment, so the index (the
 * Catalog) can follow. Calls happen on the reclaiming thread, after the new copies are durable
 * and before the old segment file is deleted; a crash in between leaves a duplicate that restart
 * reconciliation discards, since the index points at exactly one copy. Implementations should
 * update the index only if it still points at {@code from}/{@code clean} (compare and set).
 */
public interface ExtentRelocator {

    /** A clean (evictable) extent was evicted: the index should forget it; the UFS has the bytes. */
    void dropped(Location clean);

    /** An extent was copied to {@code to}; the copy is fsynced. The index should point at {@code to}. */
    void relocated(Location from, Location to);

    /**
     * A pinned extent could not be relocated because its stored bytes fail their checksum; its
     * data is lost. The default does nothing beyond the store's own log line.
     */
    default void lost(Location pinned) {
    }

    /** A relocator that ignores all calls (for stores that hold no indexed data, such as benchmarks). */
    ExtentRelocator NONE = new ExtentRelocator() {
        @Override
        public void dropped(Location clean) {
        }

        @Override
        public void relocated(Location from, Location to) {
        }
    };
}
