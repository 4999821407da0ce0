package io.wcache.core.path;

import io.wcache.core.error.WcacheException;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the non-current versions of an object of a versioned bucket live (docs/S3-COMPATIBILITY.md,
 * Versioning): each is a path of its own under the bucket's reserved first segment
 * {@value #RESERVED_SEGMENT}, {@code /<bucket>/.wcache-versions/<key>@<version id>} ({@code @null}
 * for the null version), in the Catalog and, once persisted, in the object store at the same key.
 * No S3 key or FUSE path may start with that segment; listings and directories never show it.
 */
public final class ObjectVersions {

    /** The reserved first key segment of every bucket holding its archived versions. */
    public static final String RESERVED_SEGMENT = ".wcache-versions";

    /** The version id S3 gives objects written while versioning was never enabled or is suspended. */
    public static final String NULL_VERSION = "null";

    private ObjectVersions() {
    }

    /** A fresh version id: unique since file ids are never reused; 16 lower-case hex digits. */
    public static String versionIdOf(long fileId) {
        return String.format(Locale.ROOT, "%016x", fileId);
    }

    /** Whether {@code id} is a version id this cache hands out (or {@code null}). */
    public static boolean isVersionId(String id) {
        return NULL_VERSION.equals(id) || (id != null && id.length() == 16 && id.chars()
                .allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    }

    /** Whether {@code path} is in a bucket's reserved archive (or is the archive directory itself). */
    public static boolean isReserved(NamespacePath path) {
        return path.depth() >= 2 && RESERVED_SEGMENT.equals(path.segments().get(1));
    }

    /** Whether an S3 key is in the reserved archive ({@code .wcache-versions} or under it). */
    public static boolean isReservedKey(String key) {
        return key.equals(RESERVED_SEGMENT) || key.startsWith(RESERVED_SEGMENT + "/");
    }

    /**
     * The archive path of version {@code versionId} ({@code ""} or {@code "null"}: the null version)
     * of the object at {@code path}.
     *
     * @throws WcacheException.InvalidPath when the key's last segment leaves no room for the suffix
     */
    public static NamespacePath archivePath(NamespacePath path, String versionId) {
        String vid = versionId == null || versionId.isEmpty() ? NULL_VERSION : versionId;
        return NamespacePath.of(path.mountPath() + "/" + RESERVED_SEGMENT + "/" + path.relativeToMount() + "@" + vid);
    }

    /** The directory of a bucket's archive, {@code /<bucket>/.wcache-versions}. */
    public static NamespacePath archiveRoot(String bucket) {
        return NamespacePath.of("/" + bucket + "/" + RESERVED_SEGMENT);
    }

    /** An archived version: the object's path and its version id ({@code "null"} for the null version). */
    public record Archived(NamespacePath objectPath, String versionId) {
    }

    /** The object and version an archive path stands for; empty for any other path. */
    public static Optional<Archived> parse(NamespacePath archive) {
        if (!isReserved(archive) || archive.depth() < 3) {
            return Optional.empty();
        }
        String rel = archive.relativeToMount().substring(RESERVED_SEGMENT.length() + 1);
        int at = rel.lastIndexOf('@');
        if (at <= 0 || !isVersionId(rel.substring(at + 1))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Archived(NamespacePath.of(archive.mountPath() + "/" + rel.substring(0, at)),
                    rel.substring(at + 1)));
        } catch (WcacheException.InvalidPath e) {
            return Optional.empty();
        }
    }
}
