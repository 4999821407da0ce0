package io.wcache.worker.space;

import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.Location;
import io.wcache.pipeline.ExtentCodec;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log store's eviction and compaction callback, implemented against the Catalog with
 * compare-and-set updates: an evicted clean extent is removed from its file (readers then fetch
 * that file from the UFS, which holds it), a relocated extent is pointed at its copy. Both only
 * apply if the Catalog still points at the old location. An exception here makes the store undo
 * the move and keep the old segment.
 */
public final class CatalogExtentRelocator implements ExtentRelocator {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogExtentRelocator.class);

    private final Supplier<Catalog> catalog;
    private final ExtentDirectory directory;

    /** The catalog is supplied lazily: the log store is opened (and may call back) before wiring completes. */
    public CatalogExtentRelocator(Supplier<Catalog> catalog, ExtentDirectory directory) {
        this.catalog = catalog;
        this.directory = directory;
    }

    @Override
    public void dropped(Location clean) {
        Extent e = directory.remove(clean);
        if (e != null) {
            boolean applied = catalog.get().replaceExtent(e, null);
            LOG.debug("event=extent_dropped location={} file={} offset={} applied={}", clean, e.fileId(), e.offset(), applied);
        }
    }

    @Override
    public void relocated(Location from, Location to) {
        Extent e = directory.get(from);
        if (e == null) {
            return;
        }
        Extent moved = ExtentCodec.moved(e, to);
        catalog.get().replaceExtent(e, moved);
        directory.remove(from);
        directory.put(to, moved);
    }

    @Override
    public void lost(Location pinned) {
        Extent e = directory.get(pinned);
        LOG.error("event=pinned_extent_lost location={} file={}", pinned, e == null ? -1 : e.fileId());
    }
}
