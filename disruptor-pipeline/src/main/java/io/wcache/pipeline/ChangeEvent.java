package io.wcache.pipeline;

import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the completion handler publishes to subscribers after a change is durable and in the
 * Catalog: the committed-event stream the persister consumes (the in-memory fast path; the
 * Catalog's persist queue is the durable one).
 */
public sealed interface ChangeEvent {

    /**
     * A session committed: the now-current version with its extents, the version it superseded
     * (if any) with the extents that version held, whether a persist task was queued, and until
     * when the commit leased its upload to this worker's persister (see {@link CommitResult#uploadLeasedUntil}).
     */
    record CommittedEvent(FileVersion committed, List<Extent> extents, Optional<FileVersion> superseded,
                          List<Extent> supersededExtents, boolean persistQueued, Optional<Instant> uploadLeasedUntil)
            implements ChangeEvent {
        public CommittedEvent {
            extents = List.copyOf(extents);
            supersededExtents = List.copyOf(supersededExtents);
        }
    }

    /** A path was deleted: what was removed and the tombstone left until the UFS delete is done. */
    record DeletedEvent(DeleteResult result) implements ChangeEvent {
    }
}
