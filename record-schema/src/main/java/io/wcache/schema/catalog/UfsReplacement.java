package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * What {@link Catalog#replacedInUfs} dropped: the cached committed version (if any) with its
 * extents to reclaim, and whether a pending upload or UFS delete of the path was dropped with it.
 */
public record UfsReplacement(Optional<FileVersion> dropped, List<Extent> extents, boolean pendingTaskDropped) {
    public UfsReplacement {
        extents = List.copyOf(extents);
    }
}
