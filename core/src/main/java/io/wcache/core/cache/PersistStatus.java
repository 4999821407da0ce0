package io.wcache.core.cache;

/**
 * Where an object's bytes stand with respect to the UFS, as users see it ({@code wcadm fs ls}).
 * An object that exists only in the UFS (never loaded) is {@link #PERSISTED}.
 */
public enum PersistStatus {
    /** Committed in the cache, not yet uploaded. */
    NOT_PERSISTED,
    /** An upload is in flight. */
    PERSISTING,
    /** The UFS holds this version. */
    PERSISTED,
    /** Kept in the cache only, by policy; never uploaded. */
    TRANSIENT
}
