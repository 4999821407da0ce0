package io.wcache.logstore;

/**
 * The two space regions of the cache. Pinned data is not yet persisted to the UFS (or never
 * will be) and is never evicted; evictable data is persisted or was loaded from the UFS and may
 * be dropped at any time.
 */
public enum Region {
    PINNED,
    EVICTABLE
}
