package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second stage, before the index stage: makes the batch's appended records durable with
 * one shared sync at the end of the batch (group commit), then arrives at every slot of the batch.
 * Because it passes slots in ring order, a slot it has passed has every earlier append synced (or
 * failed): no request is acknowledged before the data written ahead of it is durable. A failed
 * sync fails every append of the batch and poisons their sessions, since none of them can be known
 * durable, so the index stage never commits them.
 */
final class SyncHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(SyncHandler.class);

    private final Journal journal;
    private final Completion completion;
    // Reused across batches: the sync thread is its only user.
    private final List<RingSlot> batch = new ArrayList<>();

    SyncHandler(Journal journal, Completion completion) {
        this.journal = journal;
        this.completion = completion;
    }

    @Override
    public void onEvent(RingSlot slot, long sequence, boolean endOfBatch) {
        batch.add(slot);
        if (endOfBatch) {
            try {
                sync();
            } finally {
                for (RingSlot s : batch) {
                    completion.arrive(s);
                }
                batch.clear();
            }
        }
    }

    private void sync() {
        boolean any = false;
        for (RingSlot s : batch) {
            any |= s.location != null;
        }
        if (!any) {
            return;
        }
        try {
            journal.sync();
        } catch (RuntimeException e) {
            LOG.warn("event=journal_sync_failed slots={} error={}", batch.size(), e.toString());
            for (RingSlot s : batch) {
                if (s.location != null) {
                    WcacheException w = new WcacheException.Unavailable(s.session().path().toString(),
                            "the cache log could not be made durable: " + e.getMessage(), e);
                    s.syncError = w;
                    s.session().fail(w);
                }
            }
        }
    }
}
