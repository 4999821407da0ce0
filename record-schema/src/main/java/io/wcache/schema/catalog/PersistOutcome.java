package io.wcache.schema.catalog;

/**
 * The result of reporting a finished persist task: it was recorded, or the path moved on (a newer
 * commit or delete) and the work done is obsolete; the newer task remains queued.
 */
public enum PersistOutcome {
    PERSISTED,
    SUPERSEDED
}
