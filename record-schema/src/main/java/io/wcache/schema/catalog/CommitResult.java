package io.wcache.schema.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A commit's outcome: the now-current version, the version it superseded (with the extents
 * whose pages the holders may now reclaim), whether a persist task was queued, and until when the
 * commit leased that task's upload to this worker's persister ({@link PersistQueue#leaseUploadsAtCommit};
 * empty: the upload is claimed before it runs, as every other task).
 */
public record CommitResult(FileVersion committed, Optional<FileVersion> superseded,
                           List<Extent> supersededExtents, boolean persistQueued, Optional<Instant> uploadLeasedUntil) {
    public CommitResult {
        supersededExtents = List.copyOf(supersededExtents);
        if (uploadLeasedUntil.isPresent() && !persistQueued) {
            throw new IllegalArgumentException("a lease on an upload that was not queued");
        }
    }
}
