package io.wcache.worker.space;

import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import java.util.List;

/**
 * Gives extents' bytes back to the log store once the Catalog no longer references them: the one
 * place that pairs "forget in the Catalog" with "release in the log store", always in that order,
 * so the Catalog never points at released bytes.
 */
public final class ExtentRelease {

    private ExtentRelease() {
    }

    /**
     * Forgets each extent in the Catalog and releases its bytes; an extent the Catalog no longer
     * holds as given (moved or dropped meanwhile) is left to whoever changed it. Returns how many
     * were forgotten.
     */
    public static int forget(Catalog catalog, LogStore store, List<Extent> extents) {
        int n = 0;
        for (Extent e : extents) {
            if (catalog.locations().replaceExtent(e, null)) {
                store.release(ExtentCodec.toLocation(e));
                n++;
            }
        }
        return n;
    }

    /**
     * Releases the bytes of extents a Catalog transaction already removed (an abort, a dropped
     * part, a version marked damaged, a superseded or deleted version).
     */
    public static void release(LogStore store, List<Extent> removed) {
        for (Extent e : removed) {
            store.release(ExtentCodec.toLocation(e));
        }
    }
}
