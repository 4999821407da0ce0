package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import java.util.concurrent.CompletableFuture;

/**
 * A pre-allocated ring entry. A producer fills {@link #op} and {@link #future}; the journal sets
 * {@link #location}; the index sets {@link #result} or {@link #error}; the completion handler
 * completes the future and clears the slot. Each field is written by one stage and read by later
 * stages only, which the Disruptor's sequence barriers order.
 */
final class RingSlot {
    PipelineOp op;
    CompletableFuture<Object> future;
    Location location;
    Object result;
    WcacheException error;

    void fail(WcacheException e) {
        if (error == null) {
            error = e;
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
        result = null;
        error = null;
    }
}
