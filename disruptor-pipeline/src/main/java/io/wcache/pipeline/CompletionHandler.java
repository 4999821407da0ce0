package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last stage: acknowledges each request (completes its future with its result or its error) and
 * publishes committed and deleted changes to subscribers. A subscriber that throws is logged and
 * does not affect acknowledgements or other subscribers.
 */
final class CompletionHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionHandler.class);

    private final IndexHandler index;
    private final List<Consumer<? super ChangeEvent>> subscribers;

    CompletionHandler(IndexHandler index, List<Consumer<? super ChangeEvent>> subscribers) {
        this.index = index;
        this.subscribers = subscribers;
    }

    @Override
    public void onEvent(RingSlot slot, long sequence, boolean endOfBatch) {
        try {
            index.releaseIfUnreferenced(slot);
            if (slot.error != null) {
                slot.future.completeExceptionally(slot.error);
                return;
            }
            ChangeEvent event = null;
            if (slot.op instanceof PipelineOp.Commit c) {
                CommitResult r = (CommitResult) slot.result;
                event = new ChangeEvent.CommittedEvent(r.committed(), c.session().extents(), r.superseded(),
                        r.supersededExtents(), r.persistQueued());
            } else if (slot.op instanceof PipelineOp.Delete) {
                event = new ChangeEvent.DeletedEvent((DeleteResult) slot.result);
            }
            if (event != null) {
                for (Consumer<? super ChangeEvent> s : subscribers) {
                    try {
                        s.accept(event);
                    } catch (RuntimeException e) {
                        LOG.warn("event=subscriber_failed subscriber={} error={}", s, e.toString());
                    }
                }
            }
            slot.future.complete(slot.result);
        } catch (RuntimeException e) {
            slot.future.completeExceptionally(JournalHandler.asWcache(e, slot.session()));
        } finally {
            slot.clear();
        }
    }
}
