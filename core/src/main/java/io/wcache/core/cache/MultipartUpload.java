package io.wcache.core.cache;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;
import java.util.Optional;

/**
 * A multipart upload in progress: its target path, its id, when it started, and the checksum
 * algorithm and type it was created with (no value), if any.
 */
public record MultipartUpload(NamespacePath path, String uploadId, Instant initiated, Optional<ObjectChecksum> checksum) {
    public MultipartUpload {
        checksum = checksum == null ? Optional.empty() : checksum;
    }

    /** An upload without a checksum algorithm. */
    public MultipartUpload(NamespacePath path, String uploadId, Instant initiated) {
        this(path, uploadId, initiated, Optional.empty());
    }
}
