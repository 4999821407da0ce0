package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;

/**
 * A deleted path whose UFS delete is still pending; it hides the UFS object from listings until
 * the persister has deleted it. {@code fileId} is the removed version's id, 0 if the path only
 * existed in the UFS. {@code archiveFirst}: archive paths to copy from the object-store object
 * before it is deleted (bucket versioning).
 */
public record Tombstone(NamespacePath path, long generation, long fileId, Instant deletedTime,
                        java.util.List<String> archiveFirst) {

    public Tombstone {
        archiveFirst = archiveFirst == null ? java.util.List.of() : java.util.List.copyOf(archiveFirst);
    }

    /** A tombstone with no archive copies to make first (see {@link VersionState#archiveFirst()}). */
    public Tombstone(NamespacePath path, long generation, long fileId, Instant deletedTime) {
        this(path, generation, fileId, deletedTime, java.util.List.of());
    }
}
