package io.wcache.logstore;

/**
 * A point-in-time view of the store's space and counters. Byte figures for regions count payload
 * bytes of live extents; {@code usedBytes} and {@code freeBytes} count segment file bytes against
 * the configured capacity.
 */
public record LogStoreStats(
        long capacityBytes,
        long usedBytes,
        long freeBytes,
        long pinnedBytes,
        long pinnedReservedBytes,
        long pinnedCapBytes,
        long evictableBytes,
        int segments,
        long appends,
        long appendedBytes,
        long syncRequests,
        long syncs,
        long evictions,
        long compactions,
        long relocatedExtents,
        long droppedExtents,
        long corruptionsSeen,
        long recoveredTruncatedBytes) {
}
