package io.wcache.worker.space;

import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.Location;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.LocationUpdate;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log store's eviction and compaction callback, applied to the Catalog by location: the
 * Catalog is the one record of which file bytes a location holds, whichever file id they belong
 * to now (a completed multipart upload moves its parts' extents to the new version) and whoever
 * wrote them. Each move is one transaction that finds the extent naming the old location and
 * points it at the copy; a drop applies only to a committed, persisted version's extent. Nothing
 * is kept in memory, so there is nothing that can disagree with the Catalog. An exception here
 * makes the store undo the move and keep the old segment.
 */
public final class CatalogExtentRelocator implements ExtentRelocator {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogExtentRelocator.class);
    /** How many references the check before a segment delete reports at most. */
    private static final int REFERENCE_SAMPLE = 16;

    private final Supplier<Catalog> catalog;
    private final String workerId;

    /** The catalog is supplied lazily: the log store is opened (and may call back) before wiring completes. */
    public CatalogExtentRelocator(Supplier<Catalog> catalog, String workerId) {
        this.catalog = catalog;
        this.workerId = workerId;
    }

    @Override
    public Outcome dropped(Location clean) {
        LocationUpdate u = catalog.get().locations().dropExtent(workerId, segment(clean), clean.position(), clean.length());
        LOG.debug("event=extent_dropped location={} outcome={}", clean, u);
        return outcome(u);
    }

    @Override
    public Outcome relocated(Location from, Location to) {
        LocationUpdate u = catalog.get().locations().relocateExtent(workerId, segment(from), from.position(), from.length(),
                segment(to), to.position());
        LOG.debug("event=extent_relocated from={} to={} outcome={}", from, to, u);
        return outcome(u);
    }

    @Override
    public List<Location> referencedIn(int dir, long segmentId) {
        return catalog.get().locations().extentsInSegment(workerId, ExtentCodec.segment(dir, segmentId), REFERENCE_SAMPLE).stream()
                .map(ExtentCodec::toLocation).toList();
    }

    @Override
    public void lost(Location pinned) {
        long fileId = catalog.get().locations().extentAt(workerId, segment(pinned), pinned.position()).map(Extent::fileId).orElse(-1L);
        LOG.error("event=pinned_extent_lost location={} file={}", pinned, fileId);
        if (fileId < 0) {
            return;
        }
        // An acknowledged version the UFS does not hold lost bytes: say so (reads fail, fs ls shows
        // DAMAGED) instead of leaving a version whose reads answer "not found".
        String damage = "record failed its CRC32C when compaction or eviction moved it: " + pinned;
        catalog.get().files().markDamaged(fileId, damage).ifPresent(d -> LOG.error("event=version_damaged path={} file={} "
                        + "generation={} persist_state={} damage=\"{}\" action=\"reads fail until the object is deleted or "
                        + "overwritten\"", d.getKey().path(), fileId, d.getKey().generation(), d.getKey().persistState(),
                damage));
    }

    private static long segment(Location l) {
        return ExtentCodec.segment(l.dir(), l.segmentId());
    }

    private static Outcome outcome(LocationUpdate u) {
        return switch (u) {
            case APPLIED -> Outcome.APPLIED;
            case UNREFERENCED -> Outcome.UNREFERENCED;
            case REFUSED -> Outcome.REFUSED;
        };
    }
}
