package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A version committed before the log sync of its bytes was confirmed (the write pipeline overlaps
 * the two), with what its commit replaced: the superseded version and its extents, kept in the
 * Catalog until the sync is confirmed ({@link CatalogFiles#confirmSynced}). Restart recovery rolls
 * the path back to {@code superseded} ({@link CatalogFiles#rollBackUnsynced}) when the version's
 * bytes did not survive and the superseded version's did. A small write acknowledged before its
 * log sync carries {@code copy}, its whole body: recovery writes its lost records again from it.
 */
public record PendingSync(String path, long fileId, long generation, Optional<FileVersion> superseded,
                          List<Extent> supersededExtents, Optional<byte[]> copy) {
    public PendingSync {
        supersededExtents = List.copyOf(supersededExtents);
    }

    public PendingSync(String path, long fileId, long generation, Optional<FileVersion> superseded,
                       List<Extent> supersededExtents) {
        this(path, fileId, generation, superseded, supersededExtents, Optional.empty());
    }
}
