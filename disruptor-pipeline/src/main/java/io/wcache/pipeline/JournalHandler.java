package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal stage: writes the payloads of a batch's appends to the log store, says how far it
 * has appended ({@link #appended()}: the index stage records those locations while the sync runs),
 * makes them durable with one shared sync at the end of the batch (group commit) and says how far
 * that is done ({@link #synced()}), then passes every slot of the batch. Writing and syncing on one
 * thread spares a hand-off per request; the next batch gathers in the ring while this one syncs.
 * An append refused by the store (out of space, bad chunk) fails only its own request and poisons
 * its session. Because slots are passed in ring order, a slot passed here has every earlier append
 * synced (or failed). A failed sync fails every append of the batch and poisons their sessions,
 * since none of them can be known durable: the index stage does not commit a poisoned session,
 * and a commit it made before the failure is rolled back by {@link Completion}.
 */
final class JournalHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(JournalHandler.class);

    private final Journal journal;
    private final Completion completion;
    /** Every slot up to this sequence has its append done (location or error set). */
    private volatile long appended = -1;
    /**
     * Every slot up to this sequence has its append synced, or its session poisoned by the failed
     * sync (set before this moves).
     */
    private volatile long synced = -1;
    // Reused across batches: the journal thread is their only user.
    private final List<RingSlot> batch = new ArrayList<>();
    private final List<RingSlot> pending = new ArrayList<>();
    private final List<Chunk> chunks = new ArrayList<>();

    JournalHandler(Journal journal, Completion completion) {
        this.journal = journal;
        this.completion = completion;
    }

    long appended() {
        return appended;
    }

    long synced() {
        return synced;
    }

    @Override
    public void onEvent(RingSlot slot, long sequence, boolean endOfBatch) {
        if (slot.op instanceof PipelineOp.Append a) {
            WcacheException poisoned = a.session().failure();
            if (poisoned != null) {
                slot.fail(poisoned);
            } else {
                pending.add(slot);
            }
        }
        batch.add(slot);
        if (endOfBatch) {
            try {
                try {
                    if (!pending.isEmpty()) {
                        flush();
                    }
                } finally {
                    appended = sequence;
                }
                try {
                    sync();
                } finally {
                    synced = sequence;
                }
            } finally {
                for (RingSlot s : batch) {
                    if (s.arrive()) {
                        completion.complete(s);
                    }
                }
                batch.clear();
                pending.clear();
                chunks.clear();
            }
        }
    }

    private void sync() {
        boolean any = false;
        for (RingSlot s : pending) {
            any |= s.location != null;
        }
        if (!any) {
            return;
        }
        try {
            journal.sync();
        } catch (RuntimeException e) {
            LOG.warn("event=journal_sync_failed slots={} error={}", pending.size(), e.toString());
            for (RingSlot s : pending) {
                if (s.location != null) {
                    WcacheException w = new WcacheException.Unavailable(s.session().path().toString(),
                            "the cache log could not be made durable: " + e.getMessage(), e);
                    s.syncError = w;
                    s.session().fail(w);
                }
            }
        }
    }

    private void flush() {
        for (RingSlot s : pending) {
            PipelineOp.Append a = (PipelineOp.Append) s.op;
            chunks.add(new Chunk(a.session().fileId(), a.offset(), new java.nio.ByteBuffer[] {a.payload()},
                    a.reservation()));
        }
        try {
            List<Location> locs = journal.append(chunks);
            for (int i = 0; i < pending.size(); i++) {
                pending.get(i).location = locs.get(i);
            }
        } catch (RuntimeException batchFailure) {
            // Isolate the refusal: append one by one so only the offending requests fail.
            LOG.debug("event=journal_batch_refused size={} error={}", pending.size(), batchFailure.toString());
            for (int i = 0; i < pending.size(); i++) {
                RingSlot s = pending.get(i);
                PipelineSession session = s.session();
                if (session.failure() != null) {
                    s.fail(session.failure());
                    continue;
                }
                try {
                    s.location = journal.append(List.of(chunks.get(i))).get(0);
                } catch (RuntimeException e) {
                    WcacheException w = asWcache(e, session);
                    s.fail(w);
                    session.fail(w);
                }
            }
        }
    }

    static WcacheException asWcache(Throwable e, PipelineSession session) {
        if (e instanceof WcacheException w) {
            return w;
        }
        return new WcacheException.Unavailable(session == null ? null : session.path().toString(),
                "write failed: " + e, e);
    }
}
