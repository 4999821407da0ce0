package io.wcache.core.policy;

import io.wcache.core.error.WcacheException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What happens to a write under a path (the policies are described in {@code core/README.md}). The policy is resolved when a write
 * starts; a change to the path config applies to writes that start after it.
 */
public enum WritePolicy {
    /** Acknowledged once the local log is durable and the UFS upload is done. */
    WRITE_THROUGH,
    /** Acknowledged once the local log (all replicas) and metadata are durable; uploaded later. */
    WRITE_BACK,
    /** Like {@link #WRITE_BACK} but never uploaded: the data lives in the cache only. */
    TRANSIENT,
    /** Writes and deletes are refused; reads are served from the cache, then the UFS. */
    READ_ONLY,
    /** Writes go straight to the UFS: no local copy and no metadata. */
    NO_CACHE;

    /** Whether a write under this policy is kept in the local log and committed to metadata. */
    public boolean cachesWrites() {
        return this == WRITE_THROUGH || this == WRITE_BACK || this == TRANSIENT;
    }

    /** Whether the cached copy stays pinned (unevictable) until persisted or deleted. */
    public boolean pinsData() {
        return this == WRITE_BACK || this == TRANSIENT;
    }

    /** Whether writes and deletes are accepted at all. */
    public boolean acceptsWrites() {
        return this != READ_ONLY;
    }

    /**
     * Parses a policy name, case-insensitively and accepting {@code -} for {@code _}
     * ({@code write-back}).
     *
     * @throws WcacheException.InvalidArgument naming the value and the accepted names
     */
    public static WritePolicy parse(String subject, String value) {
        if (value != null) {
            String norm = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (WritePolicy p : values()) {
                if (p.name().equals(norm)) {
                    return p;
                }
            }
        }
        throw new WcacheException.InvalidArgument(subject, "'" + value + "' is not a write policy (one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }
}
