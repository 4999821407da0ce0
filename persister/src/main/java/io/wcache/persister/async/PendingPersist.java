package io.wcache.persister.async;

import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.TaskKind;
import java.time.Instant;
import java.util.Optional;

/**
 * One row of {@code wcadm async-persist list}: a path's pending UFS operation as the Catalog keeps
 * it (kind, generation, size, attempts, next attempt, last error, when it was queued) and what this
 * persister is doing with it.
 */
public record PendingPersist(NamespacePath path, TaskKind kind, long generation, long size, int attempts,
                             Instant nextAttempt, Optional<String> lastError, Instant enqueued,
                             Optional<String> leaseOwner, State state) {

    /** Where the operation stands. */
    public enum State {
        /** Waiting for an upload thread or for an earlier operation on its path. */
        QUEUED,
        /** An upload waiting for a pause in writes (at most write.cache.async.persist.defer.max). */
        DEFERRED,
        /** Running against the UFS now. */
        IN_FLIGHT,
        /** Failed; waiting for its next attempt. */
        RETRYING,
        /** Only in the durable queue: claimed by another worker or not yet picked up here. */
        DURABLE
    }
}
