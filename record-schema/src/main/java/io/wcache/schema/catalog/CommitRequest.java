package io.wcache.schema.catalog;

/**
 * The final description of a session's bytes at commit: total size, ETag (hex MD5 for a single
 * PUT) and CRC32C. The size must equal the bytes covered by the session's extents.
 */
public record CommitRequest(long size, String etag, long crc32c) {
    public CommitRequest {
        etag = etag == null ? "" : etag;
    }
}
