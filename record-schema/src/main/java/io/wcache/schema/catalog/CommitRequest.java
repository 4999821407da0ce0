package io.wcache.schema.catalog;

import io.wcache.core.cache.ObjectChecksum;
import java.util.List;
import java.util.Optional;

/**
 * The final description of a session's bytes at commit: total size, ETag (hex MD5 for a single
 * PUT), CRC32C, the {@link WriteCondition} the path's committed version must meet, checked in
 * the commit's transaction, the flexible checksum stored with the version (or part), if any, and
 * the replicas other workers made durable of it ({@code writeReplicas > 1}), which the commit
 * records as the version's replica holders. The size must equal the bytes covered by the
 * session's extents, and by each replica's.
 */
public record CommitRequest(long size, String etag, long crc32c, WriteCondition condition,
                            Optional<ObjectChecksum> checksum, List<ReplicaCopy> replicas) {
    public CommitRequest {
        etag = etag == null ? "" : etag;
        condition = condition == null ? WriteCondition.NONE : condition;
        checksum = checksum == null ? Optional.empty() : checksum;
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    /** A commit of bytes held by the committing worker only. */
    public CommitRequest(long size, String etag, long crc32c, WriteCondition condition,
                         Optional<ObjectChecksum> checksum) {
        this(size, etag, crc32c, condition, checksum, List.of());
    }

    /** The same commit, recording {@code copies} as the version's replicas. */
    public CommitRequest withReplicas(List<ReplicaCopy> copies) {
        return new CommitRequest(size, etag, crc32c, condition, checksum, copies);
    }

    /** A commit without a checksum. */
    public CommitRequest(long size, String etag, long crc32c, WriteCondition condition) {
        this(size, etag, crc32c, condition, Optional.empty());
    }

    /** An unconditional commit. */
    public CommitRequest(long size, String etag, long crc32c) {
        this(size, etag, crc32c, WriteCondition.NONE);
    }
}
