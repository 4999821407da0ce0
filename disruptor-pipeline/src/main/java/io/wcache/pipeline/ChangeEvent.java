package io.wcache.pipeline;

import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
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
     * (if any) with the extents that version held, and whether a persist task was queued.
     */
    record CommittedEvent(FileVersion committed, List<Extent> extents, Optional<FileVersion> superseded,
                          List<Extent> supersededExtents, boolean persistQueued) implements ChangeEvent {
        public CommittedEvent {
            extents = List.copyOf(extents);
            supersededExtents = List.copyOf(supersededExtents);
        }
    }

    /** A path was deleted: what was removed and the tombstone left until the UFS delete is done. */
    record DeletedEvent(DeleteResult result) implements ChangeEvent {
    }
}
