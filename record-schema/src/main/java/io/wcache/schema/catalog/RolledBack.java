package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * What {@link CatalogFiles#rollBackUnsynced} did: the version whose log sync was never confirmed
 * and its extents (removed from the Catalog; their bytes are the caller's to release), and the
 * version the path has again, with its extents restored, if the commit had superseded one.
 */
public record RolledBack(FileVersion rolledBack, List<Extent> droppedExtents, Optional<FileVersion> restored,
                         List<Extent> restoredExtents) {
    public RolledBack {
        droppedExtents = List.copyOf(droppedExtents);
        restoredExtents = List.copyOf(restoredExtents);
    }
}
