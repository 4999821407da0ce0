package io.wcache.core.cache;

/**
 * The outcome of an S3 DeleteObject that names a version, or of one in a versioned bucket:
 * whether there was something to delete, the version id of the delete marker made or of the
 * version deleted (empty: none, or the null version), and whether that version is a delete marker.
 */
public record VersionedDelete(boolean existed, String versionId, boolean deleteMarker) {
    public VersionedDelete {
        versionId = versionId == null ? "" : versionId;
    }
}
