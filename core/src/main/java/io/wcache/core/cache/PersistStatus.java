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
    TRANSIENT,
    /**
     * Committed in the cache, but its cached bytes failed their checksum and the UFS does not hold
     * it: reads fail saying so until the path is deleted or overwritten. Never rolled back to an
     * older version, never deleted by the system.
     */
    DAMAGED
}
