package io.wcache.schema.catalog;

import java.util.List;

/**
 * What S3 bucket versioning keeps of a file (docs/S3-COMPATIBILITY.md, Versioning):
 * {@code versionId} (empty for the null version); {@code keepVersions}, on a session of a
 * versioned bucket, that its commit archives the version it supersedes; {@code deleteMarker} for
 * an archived delete marker; {@code ufsSource}, on an archived version whose bytes the object
 * store holds only at that key (where it was current) until the persister copies them to the
 * archive path; {@code archiveFirst}, the archive paths to copy from this path's object-store
 * object before this version replaces it there.
 */
public record VersionState(String versionId, boolean keepVersions, boolean deleteMarker, String ufsSource,
                           List<String> archiveFirst) {

    /** A file of a bucket that never had versioning enabled. */
    public static final VersionState NONE = new VersionState("", false, false, "", List.of());

    public VersionState {
        versionId = versionId == null ? "" : versionId;
        ufsSource = ufsSource == null ? "" : ufsSource;
        archiveFirst = archiveFirst == null ? List.of() : List.copyOf(archiveFirst);
    }
}
