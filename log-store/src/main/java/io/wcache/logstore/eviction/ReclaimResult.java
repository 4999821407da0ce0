package io.wcache.logstore.eviction;

/**
 * What one reclaim pass did: segments evicted (least recently used first, over the high
 * watermark), segments compacted (live fraction under the threshold, including wholly dead ones),
 * extents relocated and dropped, and segment-file bytes freed.
 */
public record ReclaimResult(int evictedSegments, int compactedSegments, int relocatedExtents,
                            int droppedExtents, long freedBytes) {

    public static final ReclaimResult NONE = new ReclaimResult(0, 0, 0, 0, 0);

    ReclaimResult plus(ReclaimResult o) {
        return new ReclaimResult(evictedSegments + o.evictedSegments, compactedSegments + o.compactedSegments,
                relocatedExtents + o.relocatedExtents, droppedExtents + o.droppedExtents, freedBytes + o.freedBytes);
    }
}
