package io.wcache.schema.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A commit's outcome: the now-current version, the version it superseded (with the extents
 * whose pages the holders may now reclaim), and whether a persist task was queued.
 */
public record CommitResult(FileVersion committed, Optional<FileVersion> superseded,
                           List<Extent> supersededExtents, boolean persistQueued) {
    public CommitResult {
        supersededExtents = List.copyOf(supersededExtents);
    }
}
