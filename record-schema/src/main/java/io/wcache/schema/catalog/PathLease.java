package io.wcache.schema.catalog;

/**
 * What {@link PersistQueue#leasePath} took for a synchronous object-store write of a path: the
 * lease on a placeholder task it created, the lease on the path's existing task, nothing (the
 * caller's own lease already ran), or nothing because another persister's lease runs
 * ({@link Kind#HELD}, by {@code holder}).
 */
public record PathLease(Kind kind, String holder) {

    public enum Kind { PLACEHOLDER, LEASED, OWN, HELD }
}
