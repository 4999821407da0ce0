package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.OpOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index stage, beside the journal stage: once the journal has appended a batch's records (not
 * yet synced), turns the batch into one Catalog transaction ({@code apply}) holding its session
 * opens, extents, commits, aborts and deletes, in ring order, while the journal syncs; then passes
 * every slot ({@link Completion} acknowledges a slot once both stages have). A commit whose
 * session's bytes are not known synced yet goes in with {@code pendingSync}: the Catalog keeps its
 * undo (the superseded version and its extents) until the sync is confirmed, which a later
 * transaction records ({@link Completion#confirmed}); a failed sync rolls it back. A part's commit
 * (which has no undo) waits for the sync first. A session whose sync already failed is poisoned
 * and is never committed. An operation the Catalog refuses fails alone (and poisons its session);
 * a transaction that fails as a whole fails every request of the batch.
 */
final class IndexHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexHandler.class);
    private static final int SPINS = 100;
    private static final int YIELDS = 50;
    private static final long PARK_NANOS = 10_000;

    private final Index index;
    private final Completion completion;
    private final JournalHandler journal;
    private final String worker;
    // Reused across batches: the index thread is their only user.
    private final List<RingSlot> batch = new ArrayList<>();
    private final List<RingSlot> slots = new ArrayList<>();
    private final List<CatalogOp> ops = new ArrayList<>();
    private long synced = -1;
    /** Measurement only ({@link WritePipeline#serialSyncForMeasurement}): wait for every batch's sync first. */
    volatile boolean serialSync;

    IndexHandler(Index index, Completion completion, JournalHandler journal, String worker) {
        this.index = index;
        this.completion = completion;
        this.journal = journal;
        this.worker = worker;
    }

    @Override
    public void onEvent(RingSlot slot, long sequence, boolean endOfBatch) {
        if (!batch.isEmpty()) {
            long last = batch.get(batch.size() - 1).sequence;
            long appended = journal.appended();
            if (appended >= last && appended < sequence) {
                // The journal appended up to here and syncs that before it appends this slot: apply
                // what it appended now, beside the sync, instead of waiting for its next append.
                applyBatch(last);
            }
        }
        slot.sequence = sequence;
        batch.add(slot);
        if (endOfBatch) {
            applyBatch(sequence);
        }
    }

    private void applyBatch(long last) {
        try {
            await(true, last);
            if (serialSync || needsSyncFirst()) {
                await(false, last);
            }
            synced = journal.synced();
            for (RingSlot s : batch) {
                collect(s);
            }
            flush();
        } catch (RuntimeException e) {
            // Not expected (flush catches the Catalog's failures); never leave a slot unanswered.
            LOG.error("event=index_stage_error slots={} error={}", batch.size(), e.toString(), e);
            for (RingSlot s : batch) {
                s.result = null;
                s.failIndex(JournalHandler.asWcache(e, s.session()));
            }
        } finally {
            for (RingSlot s : batch) {
                if (s.arrive()) {
                    completion.complete(s);
                }
            }
            batch.clear();
            slots.clear();
            ops.clear();
        }
    }

    /** Idle: record the confirmations no batch has carried. */
    @Override
    public void onTimeout(long sequence) {
        confirmIdle();
    }

    /** Records every confirmation not yet carried; also called by {@link WritePipeline#close} once the stages stopped. */
    void confirmIdle() {
        List<Long> ids = completion.takeConfirmed();
        if (ids.isEmpty()) {
            return;
        }
        try {
            index.apply(List.of(new CatalogOp.ConfirmSynced(ids)));
        } catch (RuntimeException e) {
            completion.requeueConfirmed(ids);
            LOG.warn("event=sync_confirmations_failed versions={} error={}", ids.size(), e.toString());
        }
    }

    /** A part's commit has no undo: its batch is applied only after the journal synced it. */
    private boolean needsSyncFirst() {
        for (RingSlot s : batch) {
            if (s.op instanceof PipelineOp.Commit c && c.session().isPart()) {
                return true;
            }
        }
        return false;
    }

    /** Waits until the journal has appended ({@code appendedOnly}) or synced every slot up to {@code sequence}. */
    private void await(boolean appendedOnly, long sequence) {
        int tries = 0;
        while ((appendedOnly ? journal.appended() : journal.synced()) < sequence) {
            if (tries < SPINS) {
                Thread.onSpinWait();
            } else if (tries < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
            tries++;
        }
    }

    private void collect(RingSlot slot) {
        if (slot.error != null) {
            return;
        }
        PipelineSession session = slot.session();
        if (slot.op instanceof PipelineOp.Append) {
            session.lastAppendSequence = slot.sequence;
        }
        if (session != null && session.failure() != null && !(slot.op instanceof PipelineOp.Abort)) {
            slot.failIndex(session.failure());
            return;
        }
        CatalogOp op;
        PipelineOp p = slot.op;
        if (session != null && session.isPart()) {
            op = partOp(slot, session, p);
        } else if (session != null && session.isCopy()) {
            op = copyOp(slot, session, p);
            if (op == null) {
                return; // opening or flushing a copy records nothing
            }
        } else if (p instanceof PipelineOp.Begin b) {
            op = new CatalogOp.Begin(b.session().request(), b.session().fileId());
        } else if (p instanceof PipelineOp.Append a) {
            Extent e = ExtentCodec.toExtent(a.session().fileId(), a.offset(), worker, slot.location, a.crc32c());
            slot.result = e;
            op = new CatalogOp.AddExtents(a.session().ref(), List.of(e));
            if (session.carriesCopy) {
                session.gather(a.offset(), a.payload());
            }
        } else if (p instanceof PipelineOp.Commit c && session.carriesCopy) {
            // The journal does not sync for it: unless a sync already covered its records, the
            // commit carries the body, and is durable with it (the journal's sync follows later).
            slot.pendingSync = completion.durable() < session.lastAppendSequence;
            op = new CatalogOp.Commit(c.session().ref(), c.request(), slot.pendingSync,
                    slot.pendingSync ? session.takeCopy() : null);
        } else if (p instanceof PipelineOp.Commit c) {
            // synced was read before the session's failure was checked above, and the journal
            // poisons a session before it moves synced past it: not pending means synced.
            // A session that syncs at its commit is known synced only once the commit's own batch is.
            long needed = session.syncsAtCommit ? Math.max(session.lastAppendSequence, slot.sequence)
                    : session.lastAppendSequence;
            slot.pendingSync = synced < needed;
            op = new CatalogOp.Commit(c.session().ref(), c.request(), slot.pendingSync);
        } else if (p instanceof PipelineOp.Abort a) {
            op = new CatalogOp.Abort(a.session().ref());
        } else {
            op = new CatalogOp.Delete(((PipelineOp.Delete) p).path());
        }
        slots.add(slot);
        ops.add(op);
    }

    /** The Catalog op of a part session's request: the same route, recorded as the upload's part. */
    private CatalogOp partOp(RingSlot slot, PipelineSession s, PipelineOp p) {
        if (p instanceof PipelineOp.Begin) {
            return new CatalogOp.BeginPart(s.uploadId(), s.fileId());
        } else if (p instanceof PipelineOp.Append a) {
            Extent e = ExtentCodec.toExtent(s.fileId(), a.offset(), worker, slot.location, a.crc32c());
            slot.result = e;
            return new CatalogOp.AddPartExtents(s.uploadId(), s.fileId(), List.of(e));
        } else if (p instanceof PipelineOp.Commit c) {
            return new CatalogOp.PutPart(s.uploadId(), s.partNumber(), s.fileId(), c.request().size(), c.request().etag(),
                    c.request().checksum());
        }
        return new CatalogOp.AbortPart(s.uploadId(), s.partNumber(), s.fileId());
    }

    /** The Catalog op of a copy session's request, or null for one that records nothing. */
    private CatalogOp copyOp(RingSlot slot, PipelineSession s, PipelineOp p) {
        if (p instanceof PipelineOp.Append a) {
            Extent e = ExtentCodec.toExtent(s.fileId(), a.offset(), worker, slot.location, a.crc32c());
            slot.result = e;
            return new CatalogOp.AddCopyExtents(s.fileId(), List.of(e));
        } else if (p instanceof PipelineOp.Abort) {
            return new CatalogOp.DropCopy(s.copyOf(), s.fileId());
        }
        return null;
    }

    private void flush() {
        List<Long> confirmed = List.of();
        if (!ops.isEmpty()) {
            confirmed = completion.takeConfirmed();
            if (!confirmed.isEmpty()) {
                ops.add(new CatalogOp.ConfirmSynced(confirmed));
            }
            List<OpOutcome> outcomes;
            try {
                outcomes = index.apply(ops);
            } catch (RuntimeException e) {
                LOG.warn("event=catalog_batch_failed ops={} error={}", ops.size(), e.toString());
                for (RingSlot s : slots) {
                    PipelineSession session = s.session();
                    WcacheException w = e instanceof WcacheException we ? we
                            : new WcacheException.Unavailable(session == null ? null : session.path().toString(),
                            "metadata commit failed: " + e, e);
                    s.result = null;
                    s.failIndex(w);
                    if (session != null) {
                        session.fail(w);
                    }
                }
                completion.requeueConfirmed(confirmed);
                outcomes = null;
            }
            if (outcomes != null) {
                for (int i = 0; i < slots.size(); i++) {
                    RingSlot s = slots.get(i);
                    OpOutcome o = outcomes.get(i);
                    if (o instanceof OpOutcome.Failure f) {
                        s.result = null;
                        PipelineSession session = s.session();
                        // Report the first cause (a refused Begin), not its echo (NotFound for the commit).
                        s.failIndex(session != null && session.failure() != null ? session.failure() : f.error());
                        if (session != null && !(s.op instanceof PipelineOp.Abort)) {
                            session.fail(f.error());
                        }
                    } else if (s.op instanceof PipelineOp.Append a) {
                        a.session().addExtent((Extent) s.result);
                    } else {
                        s.result = ((OpOutcome.Success) o).result();
                    }
                }
            }
        }
    }
}
