package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pre-allocated ring entry. A producer fills {@link #op} and {@link #future}; the journal stage
 * sets {@link #location} (or {@link #error}), publishes how far it has appended (which orders those
 * writes before the index stage's reads) and, after the batch's sync, {@link #syncError}; the index
 * stage, running beside the sync, sets {@link #result} (or {@link #indexError}) and
 * {@link #pendingSync}. Each stage writes only its own fields and then {@link #arrive}s; the second
 * to arrive completes the slot, and the arrival count orders the first stage's writes before it.
 */
final class RingSlot {
    PipelineOp op;
    CompletableFuture<Object> future;
    /** Stages that have not passed this slot yet (set to 2 when it is published). */
    private final AtomicInteger stagesLeft = new AtomicInteger();
    // Index stage: this Commit went into the Catalog before its session's bytes were known synced.
    boolean pendingSync;
    // Index stage: this slot's ring sequence.
    long sequence;
    // Journal stage.
    Location location;
    WcacheException error;
    // Journal stage, after the batch's sync (there is no separate sync stage).
    WcacheException syncError;
    // Index stage.
    Object result;
    WcacheException indexError;

    /** Journal stage only: the append was refused or its session was already poisoned. */
    void fail(WcacheException e) {
        if (error == null) {
            error = e;
        }
    }

    /** Index stage only. */
    void failIndex(WcacheException e) {
        if (indexError == null) {
            indexError = e;
        }
    }

    /** Called by the producer when it fills the slot. */
    void expectStages() {
        stagesLeft.set(2);
    }

    /** A stage is done with this slot; true for the last one, which completes it. */
    boolean arrive() {
        return stagesLeft.decrementAndGet() == 0;
    }

    PipelineSession session() {
        PipelineOp o = op;
        if (o instanceof PipelineOp.Append a) {
            return a.session();
        } else if (o instanceof PipelineOp.Begin b) {
            return b.session();
        } else if (o instanceof PipelineOp.Commit c) {
            return c.session();
        } else if (o instanceof PipelineOp.Abort a) {
            return a.session();
        }
        return null;
    }

    void clear() {
        op = null;
        future = null;
        location = null;
        error = null;
        syncError = null;
        result = null;
        indexError = null;
        pendingSync = false;
    }
}
