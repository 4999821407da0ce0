package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.time.Instant;

/**
 * A deleted path whose UFS delete is still pending; it hides the UFS object from listings until
 * the persister has deleted it. {@code fileId} is the removed version's id, 0 if the path only
 * existed in the UFS.
 */
public record Tombstone(NamespacePath path, long generation, long fileId, Instant deletedTime) {
}
