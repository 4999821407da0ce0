package io.wcache.fuse;

import java.util.function.LongSupplier;

/**
 * The cache's capacity and free space as {@code statfs} (and so {@code df}) reports them for the
 * mount. The worker supplies it from its log store; values are read on every {@code statfs}.
 */
public interface CacheSpace {

    long capacityBytes();

    long freeBytes();

    /** A space report read from two suppliers. */
    static CacheSpace of(LongSupplier capacity, LongSupplier free) {
        return new CacheSpace() {
            @Override
            public long capacityBytes() {
                return capacity.getAsLong();
            }

            @Override
            public long freeBytes() {
                return free.getAsLong();
            }
        };
    }
}
