package io.wcache.core.cache;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;

/** A multipart upload in progress: its target path, its id, and when it started. */
public record MultipartUpload(NamespacePath path, String uploadId, Instant initiated) {
}
