package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch given to {@link CatalogFiles#apply}, across the attempts of its transaction. The engine
 * may answer a commit with {@code commit_unknown_result} (1021) although it committed; the retry
 * must then not apply the batch a second time (every op would fail: ids in use, sessions already
 * committed) but answer what the landed attempt did. So each attempt writes a marker key unique to
 * the batch holding its attempt number, and first reads it: present means an earlier attempt
 * landed, whose outcomes this object kept. Markers of acknowledged batches are cleared by later
 * batches (blind clears, no conflicts; see {@link Markers}); a marker left by a crash is cleared
 * after {@link #MARKER_TTL} when the Catalog is opened.
 */
final class AppliedBatch {

    private static final Logger LOG = LoggerFactory.getLogger(AppliedBatch.class);

    /** Key prefix (in the counters subspace) of the per-batch markers. */
    static final String MARKER_PREFIX = "appliedBatch";
    /** A batch marker older than this belongs to a batch answered long ago (retries take seconds). */
    static final Duration MARKER_TTL = Duration.ofHours(1);
    private static final int MARKERS_CLEARED_PER_BATCH = 64;

    private final List<CatalogOp> ops;
    private final long[] ids;
    private final LongPredicate claimUnused;
    private final Markers markers;
    private final StatusCache statuses;
    /**
     * Whether statuses are kept and every op opens, extends or commits a session, or confirms syncs
     * (which write no record): its commits' layouts are then known whole, and worth keeping.
     */
    private final boolean keepsLayouts;
    private final Tuple marker;
    private final Map<Integer, List<OpOutcome>> byAttempt = new ConcurrentHashMap<>();
    private final List<Tuple> clearing;
    private final AtomicInteger attempts = new AtomicInteger();
    /** When the last attempt's body ended: the rest of the transaction is the engine's commit. */
    private volatile long bodyEndNanos;

    /**
     * {@code ids}: fresh file ids for the batch's opens that reserved none, in order;
     * {@code claimUnused}: true once for a reserved id no session was opened with yet (one this
     * Catalog handed out and no batch claimed before), whose open then skips the file-id lookup.
     */
    AppliedBatch(List<CatalogOp> ops, long[] ids, LongPredicate claimUnused, Markers markers, StatusCache statuses,
                 long nowMillis) {
        this.ops = ops;
        this.ids = ids;
        this.claimUnused = claimUnused;
        this.markers = markers;
        this.statuses = statuses;
        this.keepsLayouts = statuses.serving() && ops.stream().allMatch(op -> op instanceof CatalogOp.Begin || op instanceof CatalogOp.AddExtents
                || op instanceof CatalogOp.Commit || op instanceof CatalogOp.ConfirmSynced);
        this.marker = Tuple.from(MARKER_PREFIX, nowMillis, ThreadLocalRandom.current().nextLong());
        this.clearing = markers.take(MARKERS_CLEARED_PER_BATCH);
    }

    /** How many of {@code ops} open a session without a reserved file id. */
    static int freshIdsNeeded(List<CatalogOp> ops) {
        return (int) ops.stream().filter(op -> op instanceof CatalogOp.Begin b && b.reservedFileId() == 0).count();
    }

    long bodyEndNanos() {
        return bodyEndNanos;
    }

    List<OpOutcome> attempt(Tx t) {
        int attempt = attempts.incrementAndGet();
        byte[] key = t.counters.pack(marker);
        // The first attempt has no earlier one that could have landed: only a retry reads the marker.
        byte[] landed = attempt == 1 ? null
                : t.ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, t.ctx.ensureActive().get(key));
        if (landed != null) {
            return landedOutcomes((int) Tuple.fromBytes(landed).getLong(0), attempt);
        }
        List<OpOutcome> out = applyOps(t);
        if (keepsLayouts && !t.sessions.committedLayouts().isEmpty()) {
            // What a read would find right after this commit is known: the next read need not look.
            Map<String, FileLayout> layouts = t.sessions.committedLayouts();
            t.ctx.addPostCommit(() -> {
                statuses.keep(layouts, t.ctx.getCommittedVersion());
                return CompletableFuture.completedFuture(null);
            });
        }
        t.ctx.ensureActive().set(key, Tuple.from(attempt).pack());
        for (Tuple old : clearing) {
            t.ctx.ensureActive().clear(t.counters.pack(old));
        }
        byAttempt.put(attempt, out);
        bodyEndNanos = System.nanoTime();
        return out;
    }

    private List<OpOutcome> landedOutcomes(int which, int attempt) {
        List<OpOutcome> out = byAttempt.get(which);
        if (out == null) {
            throw new WcacheException.Unavailable("metadata", "batch marker names attempt " + which
                    + " whose outcomes are unknown", null);
        }
        LOG.warn("event=catalog_batch_already_committed catalog={} ops={} attempt={} landed_attempt={}",
                markers.catalog(), ops.size(), attempt, which);
        bodyEndNanos = System.nanoTime();
        return out;
    }

    /**
     * Applies the ops in order, one outcome each: an op refused by a precondition writes nothing
     * and does not affect the others; later ops see the writes of earlier ones.
     */
    private List<OpOutcome> applyOps(Tx t) {
        List<OpOutcome> out = new ArrayList<>(ops.size());
        Set<Long> committedLater = new HashSet<>();
        for (CatalogOp op : ops) {
            if (op instanceof CatalogOp.Commit c) {
                committedLater.add(c.session().fileId());
            }
        }
        int nextId = 0;
        for (CatalogOp op : ops) {
            try {
                Object result;
                if (op instanceof CatalogOp.Begin b) {
                    // A reserved id is vouched unused once: a retry of the batch, or a second open of the
                    // same id in it, looks it up.
                    long id = b.reservedFileId() == 0 ? ids[nextId++] : t.sessions.checkReserved(b.reservedFileId(),
                            claimUnused.test(b.reservedFileId()));
                    result = t.sessions.begin(b.request(), id, committedLater.contains(id));
                } else {
                    result = applyOne(t, op);
                }
                out.add(new OpOutcome.Success(result));
            } catch (WcacheException e) {
                out.add(new OpOutcome.Failure(e));
            }
        }
        t.sessions.flushDeferred();
        return out;
    }

    private static Object applyOne(Tx t, CatalogOp op) {
        if (op instanceof CatalogOp.AddExtents a) {
            return t.sessions.addExtents(a.session(), a.extents());
        } else if (op instanceof CatalogOp.Commit c) {
            return t.sessions.commit(c.session(), c.request(), c.pendingSync(), c.copy());
        } else if (op instanceof CatalogOp.ConfirmSynced c) {
            for (long id : c.fileIds()) {
                t.pending.confirm(id);
            }
            return null;
        } else if (op instanceof CatalogOp.RollBackUnsynced r) {
            return t.pending.rollBack(r.fileId());
        } else if (op instanceof CatalogOp.Abort a) {
            return t.sessions.abort(a.session());
        } else if (op instanceof CatalogOp.BeginPart b) {
            return t.uploads.beginPart(b.uploadId());
        } else if (op instanceof CatalogOp.AddPartExtents a) {
            return t.uploads.addPartExtents(a.uploadId(), a.fileId(), a.extents());
        } else if (op instanceof CatalogOp.PutPart p) {
            return new PartResult(t.uploads.putPart(p.uploadId(), p.partNumber(), p.fileId(), null, p.size(), p.etag(),
                    p.checksum()));
        } else if (op instanceof CatalogOp.AbortPart a) {
            return t.uploads.abortPart(a.uploadId(), a.partNumber(), a.fileId());
        } else if (op instanceof CatalogOp.AddCopyExtents a) {
            return ReplicaCopies.addCopyExtents(t, a.copyFileId(), a.extents());
        } else if (op instanceof CatalogOp.DropCopy d) {
            return ReplicaCopies.dropCopy(t, d.ofFileId(), d.copyFileId());
        }
        return t.sessions.delete(((CatalogOp.Delete) op).path());
    }

    /** The batch is answered: its marker can go with a later batch; markers it failed to clear are kept for one. */
    void finished(boolean acknowledged) {
        if (acknowledged) {
            markers.toClear.add(marker);
        } else {
            markers.toClear.addAll(clearing);
        }
    }

    /** The markers of a Catalog's answered batches, waiting for a later batch to clear them. */
    static final class Markers {
        private final CatalogTransactions transactions;
        private final ConcurrentLinkedQueue<Tuple> toClear = new ConcurrentLinkedQueue<>();

        Markers(CatalogTransactions transactions) {
            this.transactions = transactions;
        }

        String catalog() {
            return transactions.name();
        }

        private List<Tuple> take(int max) {
            List<Tuple> out = new ArrayList<>();
            Tuple t;
            while (out.size() < max && (t = toClear.poll()) != null) {
                out.add(t);
            }
            return out;
        }

        /** Clears batch markers older than {@link #MARKER_TTL}: those of batches answered before a crash. */
        void clearStale() {
            long cutoff = transactions.clock().millis() - MARKER_TTL.toMillis();
            transactions.runOnCounters((ctx, c) -> {
                ctx.ensureActive().clear(c.pack(Tuple.from(MARKER_PREFIX)), c.pack(Tuple.from(MARKER_PREFIX, cutoff)));
                return null;
            });
        }

        /** Batch markers still stored (tests). */
        int stored() {
            return transactions.runOnCounters((ctx, c) -> ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                    ctx.ensureActive().getRange(c.range(Tuple.from(MARKER_PREFIX))).asList()).size());
        }
    }
}
