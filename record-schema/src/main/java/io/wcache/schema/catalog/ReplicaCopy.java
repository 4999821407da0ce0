package io.wcache.schema.catalog;

import java.util.Objects;

/**
 * A replica of a version on another worker ({@code writeReplicas > 1}): the worker, and the file
 * id under which its copy's extents are recorded (a copy cannot share the version's extent keys,
 * which are (file id, offset)). A copy's extents are in {@code worker}'s log, pinned like the
 * version's own until the version is persisted, superseded or deleted.
 */
public record ReplicaCopy(String worker, long copyFileId) {
    public ReplicaCopy {
        Objects.requireNonNull(worker, "worker");
        if (copyFileId <= 0) {
            throw new IllegalArgumentException("a copy's file id is a reserved id, not " + copyFileId);
        }
    }
}
