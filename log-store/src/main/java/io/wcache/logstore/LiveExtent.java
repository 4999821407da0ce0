package io.wcache.logstore;

import java.util.Objects;

/**
 * A location the Catalog still points at, with the region its bytes belong to. After a restart
 * the worker hands the store every live extent it knows; everything else in the segments is dead.
 */
public record LiveExtent(Location location, Region region) {
    public LiveExtent {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(region, "region");
    }
}
