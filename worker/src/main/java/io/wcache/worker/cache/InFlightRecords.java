package io.wcache.worker.cache;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The records a write session ({@link CachedWriteSession}, {@link PartWriteSession}) has handed to
 * its writer and not yet seen written (durable, for a part; an object's records are synced by its
 * commit), recorded in the Catalog and hashed. An append waits only while more than
 * {@link #LIMIT} are on their way, so a large body streams through the pipeline (syncs and Catalog
 * batches shared) instead of one record per round trip. Not thread-safe: guarded by its session.
 */
final class InFlightRecords {

    /** Records a session may have published but not yet durable before its appends wait. */
    static final int LIMIT = 4;

    private final ArrayDeque<CompletableFuture<?>> records = new ArrayDeque<>();

    void add(CompletableFuture<?> record) {
        records.addLast(record);
    }

    /**
     * What the append that just published waits for: nothing while at most {@link #LIMIT} records
     * are on their way (but the failure of one of them), else the oldest one.
     */
    CompletableFuture<Void> admission() {
        while (!records.isEmpty() && records.peekFirst().isDone() && !records.peekFirst().isCompletedExceptionally()) {
            records.removeFirst();
        }
        if (records.size() <= LIMIT) {
            CompletableFuture<?> failed = records.stream().filter(CompletableFuture::isCompletedExceptionally)
                    .findFirst().orElse(null);
            return failed == null ? CompletableFuture.completedFuture(null) : failed.thenApply(x -> null);
        }
        return records.peekFirst().thenApply(x -> null);
    }

    /** The records still on their way. */
    List<CompletableFuture<?>> pending() {
        return List.copyOf(records);
    }

    /** Completes when every record published so far is durable and hashed. */
    CompletableFuture<Void> all() {
        return CompletableFuture.allOf(records.toArray(CompletableFuture[]::new));
    }
}
