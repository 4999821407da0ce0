package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A delete in a versioned bucket (S3 bucket versioning): whether anything was there, the version
 * it made or removed ({@code version}: the new delete marker, or the version deleted by id), the
 * version whose bytes are no longer referenced ({@code released}, with {@code releasedExtents}, to
 * reclaim), and the tombstone of the path when the object-store object is to be deleted.
 */
public record VersionedDeleteResult(boolean existed, Optional<FileVersion> version, Optional<FileVersion> released,
                                    List<Extent> releasedExtents, Optional<Tombstone> tombstone) {
    public VersionedDeleteResult {
        releasedExtents = List.copyOf(releasedExtents);
    }
}
