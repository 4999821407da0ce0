package io.wcache.schema.catalog;

import io.wcache.core.cache.ObjectChecksum;
import java.util.Optional;

/**
 * The final description of a session's bytes at commit: total size, ETag (hex MD5 for a single
 * PUT), CRC32C, the {@link WriteCondition} the path's committed version must meet, checked in
 * the commit's transaction, and the flexible checksum stored with the version (or part), if any.
 * The size must equal the bytes covered by the session's extents.
 */
public record CommitRequest(long size, String etag, long crc32c, WriteCondition condition,
                            Optional<ObjectChecksum> checksum) {
    public CommitRequest {
        etag = etag == null ? "" : etag;
        condition = condition == null ? WriteCondition.NONE : condition;
        checksum = checksum == null ? Optional.empty() : checksum;
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
