package io.wcache.core.cache;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a reader or lister learns about a committed object. {@code etag} is S3's form without
 * quotes (hex MD5, or {@code md5-of-md5s-N} for multipart objects); {@code partSizes} is
 * non-empty only for objects completed from a multipart upload (S3's {@code partNumber} reads);
 * {@code standardHeaders} are the {@link StandardHeaders} stored with the object, keyed in lower
 * case (empty in listings); {@code tags} are the object's S3 tags, sorted by key (empty in listings and
 * for objects known only from the UFS); {@code checksum} is the flexible checksum stored with the
 * version, if one was (S3's {@code x-amz-checksum-*}), and {@code partChecksums} the base64 checksums
 * of a multipart object's parts, in part order (empty strings where a part had none; empty list when
 * not multipart or no part had one). {@code versionId} is the S3 version id of a versioned bucket's
 * version (empty: the null version); {@code deleteMarker} marks a delete marker (an archived version
 * without bytes, listed by ListObjectVersions).
 */
public record ObjectInfo(NamespacePath path, long size, String etag, Instant lastModified, String contentType,
                         Map<String, String> userMetadata, PersistStatus persistStatus, WritePolicy policy,
                         long generation, List<Long> partSizes, Map<String, String> standardHeaders,
                         Map<String, String> tags, Optional<ObjectChecksum> checksum, List<String> partChecksums,
                         String versionId, boolean deleteMarker) {

    public ObjectInfo {
        versionId = versionId == null ? "" : versionId;
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(lastModified, "lastModified");
        contentType = contentType == null ? "application/octet-stream" : contentType;
        userMetadata = Map.copyOf(userMetadata);
        Objects.requireNonNull(persistStatus, "persistStatus");
        partSizes = List.copyOf(partSizes);
        standardHeaders = StandardHeaders.of(standardHeaders);
        tags = tags == null ? Map.of() : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tags));
        checksum = checksum == null ? Optional.empty() : checksum;
        partChecksums = partChecksums == null ? List.of() : List.copyOf(partChecksums);
    }

    /** Information of an object of a bucket that never had versioning enabled. */
    public ObjectInfo(NamespacePath path, long size, String etag, Instant lastModified, String contentType,
                      Map<String, String> userMetadata, PersistStatus persistStatus, WritePolicy policy,
                      long generation, List<Long> partSizes, Map<String, String> standardHeaders,
                      Map<String, String> tags, Optional<ObjectChecksum> checksum, List<String> partChecksums) {
        this(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy, generation, partSizes,
                standardHeaders, tags, checksum, partChecksums, "", false);
    }

    /** The same object with {@code newEtag}: an ETag computed after the write (see {@link #etagPending()}). */
    public ObjectInfo withEtag(String newEtag) {
        return new ObjectInfo(path, size, newEtag, lastModified, contentType, userMetadata, persistStatus, policy,
                generation, partSizes, standardHeaders, tags, checksum, partChecksums, versionId, deleteMarker);
    }

    /**
     * True when the object's ETag is not known yet: a file written through the FUSE mount commits
     * without its MD5, which is computed after the close ({@link CacheService#recordEtag}); an S3
     * answer must resolve it first ({@link Etags}).
     */
    public boolean etagPending() {
        return !deleteMarker && (etag == null || etag.isEmpty());
    }

    /** The same information with the S3 version id {@code id} (empty: the null version). */
    public ObjectInfo withVersionId(String id) {
        return new ObjectInfo(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy,
                generation, partSizes, standardHeaders, tags, checksum, partChecksums, id, deleteMarker);
    }

    /** Information without a checksum. */
    public ObjectInfo(NamespacePath path, long size, String etag, Instant lastModified, String contentType,
                      Map<String, String> userMetadata, PersistStatus persistStatus, WritePolicy policy,
                      long generation, List<Long> partSizes, Map<String, String> standardHeaders,
                      Map<String, String> tags) {
        this(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy, generation, partSizes,
                standardHeaders, tags, Optional.empty(), List.of());
    }

    /** The same information with another part list, its sizes and checksums. */
    public ObjectInfo withParts(List<Long> sizes, List<String> checksums) {
        return new ObjectInfo(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy,
                generation, sizes, standardHeaders, tags, checksum, checksums, versionId, deleteMarker);
    }

    /** Information without tags. */
    public ObjectInfo(NamespacePath path, long size, String etag, Instant lastModified, String contentType,
                      Map<String, String> userMetadata, PersistStatus persistStatus, WritePolicy policy,
                      long generation, List<Long> partSizes, Map<String, String> standardHeaders) {
        this(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy, generation, partSizes,
                standardHeaders, Map.of());
    }

    /** Information without standard headers. */
    public ObjectInfo(NamespacePath path, long size, String etag, Instant lastModified, String contentType,
                      Map<String, String> userMetadata, PersistStatus persistStatus, WritePolicy policy,
                      long generation, List<Long> partSizes) {
        this(path, size, etag, lastModified, contentType, userMetadata, persistStatus, policy, generation, partSizes,
                Map.of());
    }
}
