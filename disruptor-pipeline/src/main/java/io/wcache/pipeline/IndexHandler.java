package io.wcache.pipeline;

import com.lmax.disruptor.EventHandler;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.OpOutcome;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second stage, after the journal stage has synced the batch: turns a batch into one Catalog transaction ({@code apply})
 * holding the batch's session opens, extents, commits, aborts and deletes, in ring order, then
 * completes every slot of the batch ({@link Completion}). It sees a slot only once the journal stage has made its data
 * durable; a session whose sync failed is poisoned and is never committed. An operation the Catalog refuses fails
 * alone (and poisons its session); a transaction that fails as a whole fails every request of the
 * batch.
 */
final class IndexHandler implements EventHandler<RingSlot> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexHandler.class);

    private final Index index;
    private final Completion completion;
    private final String worker;
    // Reused across batches: the index thread is their only user.
    private final List<RingSlot> batch = new ArrayList<>();
    private final List<RingSlot> slots = new ArrayList<>();
    private final List<CatalogOp> ops = new ArrayList<>();

    IndexHandler(Index index, Completion completion, String worker) {
        this.index = index;
        this.completion = completion;
        this.worker = worker;
    }

    @Override
    public void onEvent(RingSlot slot, long sequence, boolean endOfBatch) {
        batch.add(slot);
        if (endOfBatch) {
            try {
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
                    completion.complete(s);
                }
                batch.clear();
                slots.clear();
                ops.clear();
            }
        }
    }

    private void collect(RingSlot slot) {
        if (slot.error != null) {
            return;
        }
        PipelineSession session = slot.session();
        if (session != null && session.failure() != null && !(slot.op instanceof PipelineOp.Abort)) {
            slot.failIndex(session.failure());
            return;
        }
        CatalogOp op;
        PipelineOp p = slot.op;
        if (session != null && session.isPart()) {
            op = partOp(slot, session, p);
        } else if (p instanceof PipelineOp.Begin b) {
            op = new CatalogOp.Begin(b.session().request(), b.session().fileId());
        } else if (p instanceof PipelineOp.Append a) {
            Extent e = ExtentCodec.toExtent(a.session().fileId(), a.offset(), worker, slot.location, a.crc32c());
            slot.result = e;
            op = new CatalogOp.AddExtents(a.session().ref(), List.of(e));
        } else if (p instanceof PipelineOp.Commit c) {
            op = new CatalogOp.Commit(c.session().ref(), c.request());
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

    private void flush() {
        if (!ops.isEmpty()) {
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
