package io.wcache.schema.catalog;

import java.time.Instant;
import java.util.Optional;

/**
 * What {@link PersistQueue#claim} found for one task: the caller holds its lease now
 * ({@link Outcome#CLAIMED}, with the task as leased), the path moved on and the task is obsolete
 * ({@link Outcome#SUPERSEDED}), or another persister holds the path's lease
 * ({@link Outcome#HELD}, by {@code holder} until {@code heldUntil}): an operation of the path may
 * be running there, and this one must not start before it ends.
 */
public record TaskClaim(Outcome outcome, Optional<PersistTask> task, String holder, Instant heldUntil) {

    public enum Outcome { CLAIMED, SUPERSEDED, HELD }

    /** {@code task}, whose lease its persister holds already. */
    public static TaskClaim claimed(PersistTask task) {
        return new TaskClaim(Outcome.CLAIMED, Optional.of(task), "", Instant.EPOCH);
    }

    static TaskClaim superseded() {
        return new TaskClaim(Outcome.SUPERSEDED, Optional.empty(), "", Instant.EPOCH);
    }

    static TaskClaim held(String holder, Instant until) {
        return new TaskClaim(Outcome.HELD, Optional.empty(), holder, until);
    }
}
