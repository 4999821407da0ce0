package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import java.util.concurrent.CompletableFuture;

/**
 * A pre-allocated ring entry. A producer fills {@link #op} and {@link #future}; the journal stage
 * sets {@link #location} (or {@link #error}) and, after the batch's sync, {@link #syncError}; then
 * the index stage sets {@link #result} (or {@link #indexError}) and completes the slot. Each stage
 * writes only its own fields; the Disruptor's sequence barrier orders the journal stage's writes
 * before the index stage's reads.
 */
final class RingSlot {
    PipelineOp op;
    CompletableFuture<Object> future;
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
