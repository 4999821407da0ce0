package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 *
 * <p>An append marked {@code syncAtCommit} does not make its batch sync: its session is remembered
 * as unsynced, and the batch holding that session's commit syncs (one sync of the store covers
 * every record written before it). So a batch syncs when it holds an append without the mark or
 * the commit of an unsynced session; {@link #synced()} passing a batch of marked appends only says
 * that nothing in it needed a sync, which is why the index stage commits such a session with
 * {@code pendingSync} until its commit's own batch is synced. A failed sync also poisons every
 * unsynced session, since none of their records can be known durable (after a failed
 * {@code fdatasync} a later one may succeed without the lost pages).
 */
final class JournalHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(JournalHandler.class);

    /**
     * Unsynced bytes of records synced at their commit after which the journal starts a sync it
     * does not wait for. Without it a 1 GiB FUSE write reached the disk only at its close, whose
     * sync then waited for all of it.
     */
    static final long WRITE_BEHIND_BYTES = 8L << 20;

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
    /** Sessions with {@code syncAtCommit} records written since the last sync. */
    private final Set<PipelineSession> unsynced = new HashSet<>();
    /** Bytes of {@code syncAtCommit} records written since the last sync, started or waited for. */
    private long unsyncedBytes;

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
        boolean needed = false;
        for (RingSlot s : pending) {
            if (s.location != null) {
                PipelineOp.Append a = (PipelineOp.Append) s.op;
                if (a.syncAtCommit()) {
                    unsynced.add(a.session());
                    unsyncedBytes += s.location.length();
                } else {
                    needed = true;
                }
            }
        }
        if (!unsynced.isEmpty()) {
            for (RingSlot s : batch) {
                if (s.op instanceof PipelineOp.Commit c && unsynced.contains(c.session())) {
                    needed = true;
                } else if (s.op instanceof PipelineOp.Abort a) {
                    // Nothing will ever read its records; the abort releases them.
                    unsynced.remove(a.session());
                }
            }
        }
        if (!needed) {
            if (unsyncedBytes >= WRITE_BEHIND_BYTES) {
                // A long write: its records go to the disk while it still arrives (no one waits here).
                unsyncedBytes = 0;
                journal.startSync();
            }
            return;
        }
        unsyncedBytes = 0;
        try {
            journal.sync();
            unsynced.clear();
        } catch (RuntimeException e) {
            LOG.warn("event=journal_sync_failed slots={} unsynced_sessions={} error={}", pending.size(), unsynced.size(),
                    e.toString());
            for (RingSlot s : pending) {
                if (s.location != null) {
                    WcacheException w = syncFailure(s.session(), e);
                    s.syncError = w;
                    s.session().fail(w);
                }
            }
            // Their commits (in this batch or later) fail with this error, or are rolled back.
            for (PipelineSession u : unsynced) {
                u.fail(syncFailure(u, e));
            }
            unsynced.clear();
        }
    }

    private static WcacheException syncFailure(PipelineSession session, RuntimeException e) {
        return new WcacheException.Unavailable(session.path().toString(),
                "the cache log could not be made durable: " + e.getMessage(), e);
    }

    private void flush() {
        for (RingSlot s : pending) {
            PipelineOp.Append a = (PipelineOp.Append) s.op;
            // The CRC taken when the bytes were published goes into the record as it is: no second pass
            // over them on this thread, and bytes changed since would fail every read, not be served.
            chunks.add(new Chunk(a.session().fileId(), a.offset(), new java.nio.ByteBuffer[] {a.payload()},
                    a.reservation(), a.crc32c()));
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
