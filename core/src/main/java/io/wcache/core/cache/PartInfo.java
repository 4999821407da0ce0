package io.wcache.core.cache;

import java.time.Instant;
import java.util.Optional;

/**
 * A stored part of a multipart upload. {@code etag} is the part's hex MD5 without quotes;
 * {@code checksum} the flexible checksum it was uploaded with, if any.
 */
public record PartInfo(int partNumber, long size, String etag, Instant lastModified, Optional<ObjectChecksum> checksum) {
    public PartInfo {
        checksum = checksum == null ? Optional.empty() : checksum;
    }

    /** A part without a checksum. */
    public PartInfo(int partNumber, long size, String etag, Instant lastModified) {
        this(partNumber, size, etag, lastModified, Optional.empty());
    }
}
