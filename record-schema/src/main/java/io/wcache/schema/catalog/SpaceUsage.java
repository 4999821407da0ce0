package io.wcache.schema.catalog;

/**
 * Bytes a worker holds by region, as counted in metadata: pinned (unpersisted WRITE_BACK and
 * TRANSIENT data) and evictable (persisted data). Both are kept with atomic adds.
 */
public record SpaceUsage(long pinnedBytes, long evictableBytes) {
}
