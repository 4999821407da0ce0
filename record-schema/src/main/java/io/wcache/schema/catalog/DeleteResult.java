package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A delete's outcome: the committed version it removed (if metadata knew one) with its extents
 * to reclaim, and the tombstone left until the UFS delete is done.
 */
public record DeleteResult(Optional<FileVersion> removed, List<Extent> extents, Tombstone tombstone) {
    public DeleteResult {
        extents = List.copyOf(extents);
    }
}
