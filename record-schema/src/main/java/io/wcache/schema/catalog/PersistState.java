package io.wcache.schema.catalog;

/**
 * How far a file version is from the UFS: not yet uploaded, being uploaded under a lease,
 * uploaded, or never to be uploaded ({@code TRANSIENT}).
 */
public enum PersistState {
    NOT_PERSISTED,
    PERSISTING,
    PERSISTED,
    TRANSIENT
}
