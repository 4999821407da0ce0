package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.RolledBack;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledges a slot on the thread of the stage that passes it last (the journal stage after its
 * sync, or the index stage after its Catalog transaction), so no extra thread hand-off sits between
 * durability and the caller: completes the request's future with its result or its error, and
 * publishes committed and deleted changes to subscribers first. A commit the index stage made
 * before its bytes were known synced ({@link RingSlot#pendingSync}) is acknowledged only if the
 * sync succeeded, and its undo is then dropped by a later Catalog transaction
 * ({@link #takeConfirmed}); if the sync failed, its path is rolled back to the version the commit
 * superseded before the request fails. A commit that carries a copy of its body
 * ({@link PipelineSession#carriesCopy}) is acknowledged at once and never rolled back: its undo is
 * dropped once the journal says its records are durable ({@link #durableThrough}). A subscriber
 * that throws is logged and does not affect acknowledgements or other subscribers.
 */
final class Completion {

    private static final Logger LOG = LoggerFactory.getLogger(Completion.class);
    private static final int MAX_CONFIRMED_PER_BATCH = 256;

    private final Journal journal;
    private final Index index;
    private final List<Consumer<? super ChangeEvent>> subscribers;
    /** Versions committed with pendingSync whose sync succeeded, waiting for a batch to drop their undo. */
    private final ConcurrentLinkedQueue<Long> confirmed = new ConcurrentLinkedQueue<>();
    /** Every append up to this ring sequence is durable (advanced by the journal after each sync). */
    private final AtomicLong durable = new AtomicLong(-1);
    /** Commits that carry a copy, as (last append sequence, file id), until their records are durable. */
    private final PriorityBlockingQueue<long[]> awaitingDurable =
            new PriorityBlockingQueue<>(64, Comparator.comparingLong(e -> e[0]));

    Completion(Journal journal, Index index, List<Consumer<? super ChangeEvent>> subscribers) {
        this.journal = journal;
        this.index = index;
        this.subscribers = subscribers;
    }

    /** Up to a batch's worth of versions whose pending sync is confirmed (the index stage carries them). */
    List<Long> takeConfirmed() {
        List<Long> out = null;
        Long id;
        while ((out == null || out.size() < MAX_CONFIRMED_PER_BATCH) && (id = confirmed.poll()) != null) {
            if (out == null) {
                out = new ArrayList<>();
            }
            out.add(id);
        }
        return out == null ? List.of() : out;
    }

    /** Every append up to ring sequence {@code sequence} is durable. */
    long durable() {
        return durable.get();
    }

    /** The journal made every append up to ring sequence {@code sequence} durable. */
    void durableThrough(long sequence) {
        durable.accumulateAndGet(sequence, Math::max);
        drainDurable();
    }

    private void drainDurable() {
        long d = durable.get();
        long[] e;
        while ((e = awaitingDurable.peek()) != null && e[0] <= d) {
            e = awaitingDurable.poll();
            if (e == null) {
                break;
            }
            if (e[0] <= d) {
                confirmed.add(e[1]);
            } else {
                awaitingDurable.add(e);
                break;
            }
        }
    }

    /** Confirmations whose transaction failed: a later one carries them. */
    void requeueConfirmed(List<Long> ids) {
        confirmed.addAll(ids);
    }

    /** Called, for every slot, by whichever stage passes it last. */
    void complete(RingSlot slot) {
        try {
            if (slot.pendingSync && slot.indexError == null && slot.op instanceof PipelineOp.Commit c
                    && c.session().carriesCopy) {
                // Durable in the Catalog with its copy: its undo goes once its records are synced too.
                awaitingDurable.add(new long[] {c.session().lastAppendSequence, c.session().fileId()});
                drainDurable();
            } else if (slot.pendingSync && slot.indexError == null && slot.op instanceof PipelineOp.Commit c) {
                WcacheException unsynced = c.session().failure();
                if (unsynced != null) {
                    rollBack(c.session(), unsynced);
                    slot.result = null;
                    slot.failIndex(unsynced);
                } else {
                    confirmed.add(c.session().fileId());
                }
            }
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
                        r.supersededExtents(), r.persistQueued(), r.uploadLeasedUntil());
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
     * The sync of a session committed with pendingSync failed: its path goes back to the version the
     * commit superseded (kept by the Catalog for this), and its records are released. If the
     * rollback itself fails, the undo stays in the Catalog and restart recovery settles it.
     */
    private void rollBack(PipelineSession session, WcacheException cause) {
        try {
            List<OpOutcome> out = index.apply(List.of(new CatalogOp.RollBackUnsynced(session.fileId())));
            if (out.get(0) instanceof OpOutcome.Success s && s.result() instanceof Optional<?> o && o.isPresent()) {
                RolledBack r = (RolledBack) o.get();
                for (Extent e : r.droppedExtents()) {
                    journal.release(ExtentCodec.toLocation(e));
                }
                LOG.warn("event=unsynced_commit_rolled_back path={} file={} restored_file={} cause=\"{}\"",
                        session.path(), session.fileId(), r.restored().map(v -> v.fileId()).orElse(0L),
                        cause.getMessage());
            } else {
                LOG.warn("event=unsynced_commit_rollback_refused path={} file={} outcome={}", session.path(),
                        session.fileId(), out.get(0));
            }
        } catch (RuntimeException e) {
            LOG.error("event=unsynced_commit_rollback_failed path={} file={} error={} "
                    + "action=\"restart recovery rolls it back\"", session.path(), session.fileId(), e.toString());
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
        long t0 = System.nanoTime();
        for (Consumer<? super ChangeEvent> s : subscribers) {
            try {
                s.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("event=subscriber_failed subscriber={} error={}", s, e.toString());
            }
        }
        Stages.since(Stage.PIPELINE_EVENTS, t0);
    }
}
