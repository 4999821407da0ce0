package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.PartResult;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledges a slot once both the journal stage (with its sync) and the index stage have passed it, on the thread of
 * whichever arrives last, so no extra thread hand-off sits between durability and the caller:
 * completes the request's future with its result or its error, and publishes committed and
 * deleted changes to subscribers first. A subscriber that throws is logged and does not affect
 * acknowledgements or other subscribers.
 */
final class Completion {

    private static final Logger LOG = LoggerFactory.getLogger(Completion.class);

    private final Journal journal;
    private final Index index;
    private final List<Consumer<? super ChangeEvent>> subscribers;

    Completion(Journal journal, Index index, List<Consumer<? super ChangeEvent>> subscribers) {
        this.journal = journal;
        this.index = index;
        this.subscribers = subscribers;
    }

    /** Called by the journal and the index stage for every slot, in ring order; the last arrival completes it. */
    void arrive(RingSlot slot) {
        if (slot.arrivals.decrementAndGet() == 0) {
            complete(slot);
        }
    }

    private void complete(RingSlot slot) {
        try {
            WcacheException error = slot.error != null ? slot.error
                    : slot.syncError != null ? slot.syncError : slot.indexError;
            if (error == null && slot.op instanceof PipelineOp.Commit c && c.session().failure() != null) {
                // The Catalog took the commit while the sync of its data failed: undo it, never acknowledge.
                error = c.session().failure();
                if (c.session().isPart()) {
                    rollBackPart(c.session());
                } else {
                    rollBack(c, (CommitResult) slot.result);
                }
            }
            if (slot.location != null && slot.error == null && slot.indexError == null) {
                // The Catalog records this location now: eviction and compaction may move it.
                journal.published(slot.location);
            }
            if (error != null) {
                releaseIfUnreferenced(slot);
                slot.future.completeExceptionally(error);
                return;
            }
            ChangeEvent event = null;
            if (slot.op instanceof PipelineOp.Commit c && !c.session().isPart()) {
                CommitResult r = (CommitResult) slot.result;
                event = new ChangeEvent.CommittedEvent(r.committed(), c.session().extents(), r.superseded(),
                        r.supersededExtents(), r.persistQueued());
            } else if (slot.op instanceof PipelineOp.Delete) {
                event = new ChangeEvent.DeletedEvent((DeleteResult) slot.result);
            }
            if (event != null) {
                publish(event);
            }
            slot.future.complete(slot.result);
        } catch (RuntimeException e) {
            slot.future.completeExceptionally(JournalHandler.asWcache(e, slot.session()));
        } finally {
            slot.clear();
        }
    }

    /**
     * An append whose record was written but never reached the Catalog frees it. One the Catalog
     * references (only its sync failed) is freed when its session is aborted or its commit rolled back.
     */
    private void releaseIfUnreferenced(RingSlot slot) {
        if (slot.location != null && (slot.error != null || slot.indexError != null)) {
            try {
                journal.release(slot.location);
            } catch (RuntimeException e) {
                LOG.warn("event=release_failed location={} error={}", slot.location, e.toString());
            }
        }
    }

    /**
     * Removes a committed version whose data could not be made durable. The writer still holds its
     * path lock (its commit future is not complete), so no newer version of the path can be lost here.
     */
    private void rollBack(PipelineOp.Commit c, CommitResult r) {
        String path = c.session().path().toString();
        try {
            OpOutcome o = index.apply(List.of(new CatalogOp.Delete(c.session().path()))).get(0);
            DeleteResult d = o.get(DeleteResult.class);
            if (d.removed().isPresent() && d.removed().get().fileId() != r.committed().fileId()) {
                LOG.error("event=commit_rollback_removed_other path={} file={} removed={}", path,
                        r.committed().fileId(), d.removed().get().fileId());
            }
            for (Extent e : d.extents()) {
                journal.release(ExtentCodec.toLocation(e));
            }
            publish(new ChangeEvent.DeletedEvent(d));
            LOG.warn("event=commit_rolled_back path={} file={} reason=log_sync_failed", path, r.committed().fileId());
        } catch (RuntimeException e) {
            LOG.error("event=commit_rollback_failed path={} file={} error={}", path, r.committed().fileId(), e.toString());
        }
    }

    /** Drops a part whose data could not be made durable: its record (if it names this copy) and its extents. */
    private void rollBackPart(PipelineSession s) {
        try {
            OpOutcome o = index.apply(List.of(new CatalogOp.AbortPart(s.uploadId(), s.partNumber(), s.fileId()))).get(0);
            for (Extent e : o.get(PartResult.class).released()) {
                journal.release(ExtentCodec.toLocation(e));
            }
            LOG.warn("event=part_rolled_back upload={} part={} file={} reason=log_sync_failed", s.uploadId(),
                    s.partNumber(), s.fileId());
        } catch (RuntimeException e) {
            LOG.error("event=part_rollback_failed upload={} part={} file={} error={}", s.uploadId(), s.partNumber(),
                    s.fileId(), e.toString());
        }
    }

    private void publish(ChangeEvent event) {
        for (Consumer<? super ChangeEvent> s : subscribers) {
            try {
                s.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("event=subscriber_failed subscriber={} error={}", s, e.toString());
            }
        }
    }
}
