package io.wcache.worker.space;

import io.wcache.logstore.Location;
import io.wcache.schema.catalog.Extent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This worker's live log-store locations and the Catalog extent each one backs. The log store's
 * eviction callbacks name only locations, and the Catalog has no index by location, so the worker
 * keeps this map: filled at restart reconciliation and on every append, emptied on release.
 */
public final class ExtentDirectory {

    private final Map<Location, Extent> byLocation = new ConcurrentHashMap<>();

    public void put(Location location, Extent extent) {
        byLocation.put(location, extent);
    }

    public Extent remove(Location location) {
        return byLocation.remove(location);
    }

    public Extent get(Location location) {
        return byLocation.get(location);
    }

    public int size() {
        return byLocation.size();
    }
}
