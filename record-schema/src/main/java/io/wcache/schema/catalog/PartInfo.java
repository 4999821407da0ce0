package io.wcache.schema.catalog;

import io.wcache.core.cache.ObjectChecksum;
import java.time.Instant;
import java.util.Optional;

/**
 * One uploaded part: its number, the file id its extents are stored under, size, ETag and the
 * flexible checksum it was uploaded with, if any.
 */
public record PartInfo(String uploadId, int partNumber, long fileId, long size, String etag, Instant createdTime,
                       Optional<ObjectChecksum> checksum) {
    public PartInfo {
        checksum = checksum == null ? Optional.empty() : checksum;
    }

    /** A part without a checksum. */
    public PartInfo(String uploadId, int partNumber, long fileId, long size, String etag, Instant createdTime) {
        this(uploadId, partNumber, fileId, size, etag, createdTime, Optional.empty());
    }
}
