package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;
import java.util.Optional;

/**
 * The pending UFS work of one path. There is at most one task per path: a newer commit or delete
 * replaces it, so the queue never uploads a superseded version, and a replacement made while the
 * old task is claimed keeps that lease, so two operations on one path never run at once. A task
 * a poll claimed has its lease expiry as its {@code nextAttemptTime}, after which it is due again;
 * one claimed alone as its operation starts keeps its place in the due order, and no poll claims
 * a task while its lease runs.
 */
public record PersistTask(NamespacePath path, TaskKind kind, long fileId, long generation, long size, int attempts,
                          Instant nextAttemptTime, Optional<String> lastError, Optional<String> leaseOwner,
                          Optional<Instant> leaseExpiry, Instant enqueuedTime) {

    /** This task as one that holds no lease (what a persister without the lease may report on). */
    public PersistTask withoutLease() {
        return retried(attempts, nextAttemptTime, lastError);
    }

    /** This task to be tried again in memory: {@code attempts} so far, due at {@code next}, no lease. */
    public PersistTask retried(int attempts, Instant next, Optional<String> lastError) {
        return new PersistTask(path, kind, fileId, generation, size, attempts, next, lastError, Optional.empty(),
                Optional.empty(), enqueuedTime);
    }
}
