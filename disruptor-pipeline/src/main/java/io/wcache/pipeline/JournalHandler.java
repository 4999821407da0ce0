package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>A session whose whole body and commit are in one batch and fit
 * {@link PipelineConfig#copyMaxBytes} is marked {@link PipelineSession#carriesCopy} before the
 * batch is appended: its records do not make the batch sync, since its commit carries a copy of
 * the body into the Catalog (one sync, the Catalog's, makes the write durable). Its records are
 * synced later, in the background: once such records have waited {@link #COPY_SYNC_NANOS}, hold
 * {@link #COPY_SYNC_BYTES}, or the ring is idle, or with any sync a batch needs anyway; after each
 * sync {@link Completion#durableThrough} lets the copies go. A failed sync does not fail such a
 * write: its copy stands in for its records.
 */
final class JournalHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(JournalHandler.class);

    /**
     * Unsynced bytes of records synced at their commit after which the journal starts a sync it
     * does not wait for. Without it a 1 GiB FUSE write reached the disk only at its close, whose
     * sync then waited for all of it.
     */
    static final long WRITE_BEHIND_BYTES = 8L << 20;

    /** How long records of copy-carrying commits wait for a sync at most (while writes keep arriving). */
    static final long COPY_SYNC_NANOS = 20_000_000L;
    /** Bytes of records of copy-carrying commits after which they are synced at once. */
    static final long COPY_SYNC_BYTES = 4L << 20;
    /**
     * Most body bytes the commits of one batch of several writes carry as copies (a batch of one
     * write carries it up to {@link PipelineConfig#copyMaxBytes}). A batch carries copies only when
     * every record in it belongs to a write whose commit can carry one, within this: a batch that
     * syncs anyway gains nothing from copies, and the larger batches of many writers at once
     * already share one sync among their writes, so copies there cost more than the sync they save.
     */
    static final long COPY_BATCH_BYTES = 32L << 10;

    private final Journal journal;
    private final Completion completion;
    /** {@link PipelineConfig#copyMaxBytes} (volatile: {@link WritePipeline#copyMaxForMeasurement}). */
    volatile int copyMaxBytes;
    /** Records of copy-carrying commits written since the last sync: their bytes, and when the first was written (0: none). */
    private long copyBytes;
    private long copySinceNanos;
    private final AtomicBoolean copySyncRunning = new AtomicBoolean();
    /** A background sync failed (reported once: the log store refuses every later sync too). */
    private volatile boolean copySyncFailed;
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

    JournalHandler(Journal journal, Completion completion, int copyMaxBytes) {
        this.journal = journal;
        this.completion = completion;
        this.copyMaxBytes = copyMaxBytes;
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
                        markCopies();
                        flush();
                    }
                } finally {
                    appended = sequence;
                }
                try {
                    sync(sequence);
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

    /**
     * Marks the sessions of this batch whose commits carry their bodies: the whole body (from offset
     * 0 to the commit's size) and the commit are in the batch, within the size limits. Before the
     * batch is appended, so the index stage sees the mark.
     */
    private void markCopies() {
        int max = copyMaxBytes;
        if (max == 0) {
            return;
        }
        Map<PipelineSession, Long> bodies = new HashMap<>();
        long total = 0;
        for (RingSlot s : pending) {
            PipelineOp.Append a = (PipelineOp.Append) s.op;
            PipelineSession session = a.session();
            if (session.isPart() || session.isCopy()) {
                return;
            }
            bodies.merge(session, (long) a.payload().remaining(), Long::sum);
            total += a.payload().remaining();
        }
        if (total > COPY_BATCH_BYTES && bodies.size() > 1) {
            return;
        }
        List<PipelineSession> marked = new ArrayList<>();
        for (RingSlot s : batch) {
            if (s.op instanceof PipelineOp.Commit c) {
                Long body = bodies.get(c.session());
                long size = c.request().size();
                if (body != null && body == size && size <= max && c.request().replicas().isEmpty()) {
                    marked.add(c.session());
                }
            }
        }
        if (marked.size() != bodies.size()) {
            return; // a record whose write does not end in this batch: the batch syncs anyway
        }
        for (PipelineSession session : marked) {
            session.copySize = bodies.get(session).intValue();
            session.carriesCopy = true;
        }
    }

    /** Idle: the records of copy-carrying commits are synced now. */
    @Override
    public void onTimeout(long sequence) {
        if (copySinceNanos != 0) {
            startCopySync(appended);
        }
    }

    /**
     * Syncs, without waiting, every record appended up to {@code sequence} (the records of
     * copy-carrying commits); the copies go once it is done. One such sync runs at a time.
     */
    private void startCopySync(long sequence) {
        if (!copySyncRunning.compareAndSet(false, true)) {
            return;
        }
        copyBytes = 0;
        copySinceNanos = 0;
        CompletableFuture<Void> done;
        try {
            done = journal.syncAsync();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((v, e) -> {
            copySyncRunning.set(false);
            if (e == null) {
                completion.durableThrough(sequence);
            } else if (!copySyncFailed) {
                copySyncFailed = true;
                // The copies stay in the Catalog: restart recovery writes the records again from them.
                LOG.error("event=journal_background_sync_failed error={} action=\"writes that fit "
                        + "write.cache.sync.copy.max stay durable through the copies their commits carry; restart the "
                        + "worker once the disk is sound: its recovery writes their records again from them\"",
                        e.toString());
            }
        });
    }

    /** Syncs what was appended (the records of copy-carrying commits) and waits; at close, once the stages stopped. */
    void syncCopies() {
        if (appended < 0 || completion.durable() >= appended) {
            return;
        }
        long upTo = appended;
        journal.sync();
        completion.durableThrough(upTo);
    }

    private void sync(long sequence) {
        boolean needed = false;
        for (RingSlot s : pending) {
            if (s.location != null) {
                PipelineOp.Append a = (PipelineOp.Append) s.op;
                if (a.session().carriesCopy) {
                    copyBytes += s.location.length();
                    if (copySinceNanos == 0) {
                        copySinceNanos = System.nanoTime();
                    }
                } else if (a.syncAtCommit()) {
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
            if (copySinceNanos != 0
                    && (copyBytes >= COPY_SYNC_BYTES || System.nanoTime() - copySinceNanos >= COPY_SYNC_NANOS)) {
                startCopySync(sequence);
            } else if (unsyncedBytes >= WRITE_BEHIND_BYTES) {
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
            copyBytes = 0;
            copySinceNanos = 0;
            completion.durableThrough(sequence);
        } catch (RuntimeException e) {
            LOG.warn("event=journal_sync_failed slots={} unsynced_sessions={} error={}", pending.size(), unsynced.size(),
                    e.toString());
            for (RingSlot s : pending) {
                // A copy-carrying commit does not depend on this sync: its copy stands in for its records.
                if (s.location != null && !s.session().carriesCopy) {
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
