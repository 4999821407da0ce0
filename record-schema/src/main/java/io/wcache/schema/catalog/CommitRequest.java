package io.wcache.schema.catalog;

/**
 * The final description of a session's bytes at commit: total size, ETag (hex MD5 for a single
 * PUT), CRC32C, and the {@link WriteCondition} the path's committed version must meet, checked in
 * the commit's transaction. The size must equal the bytes covered by the session's extents.
 */
public record CommitRequest(long size, String etag, long crc32c, WriteCondition condition) {
    public CommitRequest {
        etag = etag == null ? "" : etag;
        condition = condition == null ? WriteCondition.NONE : condition;
    }

    /** An unconditional commit. */
    public CommitRequest(long size, String etag, long crc32c) {
        this(size, etag, crc32c, WriteCondition.NONE);
    }
}
