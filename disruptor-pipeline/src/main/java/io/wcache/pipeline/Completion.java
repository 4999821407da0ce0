package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledges a slot on the index stage's thread once that stage has passed it (the journal
 * stage, with its sync, always has by then), so no extra thread hand-off sits between durability
 * and the caller: completes the request's future with its result or its error, and publishes committed and
 * deleted changes to subscribers first. A subscriber that throws is logged and does not affect
 * acknowledgements or other subscribers.
 */
final class Completion {

    private static final Logger LOG = LoggerFactory.getLogger(Completion.class);

    private final Journal journal;
    private final List<Consumer<? super ChangeEvent>> subscribers;

    Completion(Journal journal, List<Consumer<? super ChangeEvent>> subscribers) {
        this.journal = journal;
        this.subscribers = subscribers;
    }

    /** Called by the index stage for every slot, in ring order. */
    void complete(RingSlot slot) {
        try {
            WcacheException error = slot.error != null ? slot.error
                    : slot.syncError != null ? slot.syncError : slot.indexError;
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
     * references is freed when its session is aborted.
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
