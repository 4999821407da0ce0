package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pre-allocated ring entry. A producer fills {@link #op} and {@link #future} and arms
 * {@link #arrivals}; the journal stage sets {@link #location} (or {@link #error}) and, after the
 * batch's sync, {@link #syncError}; after it the index stage ({@link #result}, {@link #indexError});
 * each writes only its own fields; the one that arrives last completes the slot. Fields of
 * earlier stages are ordered by the Disruptor's sequence barriers, and the two stages also see
 * each other's fields through the {@link #arrivals} counter.
 */
final class RingSlot {
    /** Stages that must pass a slot before it is completed: journal (with its sync) and index. */
    static final int STAGES = 2;

    PipelineOp op;
    CompletableFuture<Object> future;
    // Journal stage.
    Location location;
    WcacheException error;
    // Sync stage.
    WcacheException syncError;
    // Index stage.
    Object result;
    WcacheException indexError;
    final AtomicInteger arrivals = new AtomicInteger();

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
    }
}
