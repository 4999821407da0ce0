package io.wcache.core.cache;

import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The one entry point every frontend (S3, FUSE, admin) uses to read and write the cache. It
 * carries the write-policy semantics of the design (what an acknowledgement promises under
 * {@code WRITE_THROUGH}, {@code WRITE_BACK}, {@code TRANSIENT}, {@code READ_ONLY},
 * {@code NO_CACHE}), so that the frontends cannot differ in them.
 *
 * <p>Every operation is asynchronous; a failed future carries a
 * {@link io.wcache.core.error.WcacheException}. Frontends that run on blocking threads (FUSE)
 * join the futures; the S3 frontend never blocks its event loop on them.
 */
public interface CacheService {

    /** The mounts (the S3 buckets): top-level names of the namespace. */
    MountTable mounts();

    /**
     * When each mount (bucket) was created: for a mount made through the admin API or CreateBucket,
     * its creation; for a configured mount, when it was first seen. Kept across restarts. A mount
     * missing from the map has no known date.
     */
    default CompletableFuture<Map<String, java.time.Instant>> mountCreationTimes() {
        return CompletableFuture.completedFuture(Map.of());
    }

    /** Which write policy and replica count apply to a path now, and which rule decided it. */
    Resolution resolvePolicy(NamespacePath path);

    /**
     * Opens a write session on {@code path}. Nothing is visible to readers until
     * {@link WriteSession#commit()} completes. Fails with {@code ReadOnly} on a
     * {@code READ_ONLY} path, {@code NotFound} for an unknown mount, and {@code AlreadyExists}
     * when {@link WriteOptions#ifNoneMatch()} is set and the path exists.
     */
    CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options);

    /** The committed object at {@code path} (from the cache or, if never loaded, the UFS), if any. */
    CompletableFuture<Optional<ObjectInfo>> stat(NamespacePath path);

    /**
     * Opens the committed version of {@code path} for reading. The reader sees that version
     * whole even if the path is overwritten or deleted while it reads. Fails with
     * {@code NotFound}.
     */
    CompletableFuture<ObjectReader> open(NamespacePath path);

    /** One page of a listing that merges the cache's metadata with the UFS listing. */
    CompletableFuture<ListResult> list(ListQuery query);

    /** Pages of {@link #anyListed} before it takes the prefix as holding something. */
    int ANY_LISTED_PAGES = 16;

    /**
     * Whether a listing of {@code prefix} in {@code mount}, without a delimiter, shows any object
     * other than {@code ignored} (a directory's own folder marker, which makes the directory exist
     * but is not an entry of it). A directory exists while this holds. The default pages
     * {@link #list} two keys at a time; after {@value #ANY_LISTED_PAGES} pages of ignored keys it
     * answers true. A cache that holds an object under the prefix in its own metadata may answer
     * without listing the UFS.
     */
    default CompletableFuture<Boolean> anyListed(NamespacePath mount, String prefix, Optional<NamespacePath> ignored) {
        return anyListedFrom(mount, prefix, ignored, Optional.empty(), 0);
    }

    private CompletableFuture<Boolean> anyListedFrom(NamespacePath mount, String prefix, Optional<NamespacePath> ignored,
                                                     Optional<String> token, int page) {
        if (page == ANY_LISTED_PAGES) {
            return CompletableFuture.completedFuture(true);
        }
        return list(new ListQuery(mount, prefix, "", "", 2, token)).thenCompose(r -> {
            if (!r.commonPrefixes().isEmpty()
                    || r.objects().stream().anyMatch(o -> ignored.isEmpty() || !o.path().equals(ignored.get()))) {
                return CompletableFuture.completedFuture(true);
            }
            return r.continuation().isEmpty() ? CompletableFuture.completedFuture(false)
                    : anyListedFrom(mount, prefix, ignored, r.continuation(), page + 1);
        });
    }

    /**
     * Deletes {@code path}: readers stop seeing it at once; the UFS delete follows, ordered with
     * uploads. Completes with whether the path existed.
     */
    CompletableFuture<Boolean> delete(NamespacePath path);

    /**
     * Replaces the tags of the committed object at {@code path} (an empty map removes them); its
     * bytes and ETag are unchanged. Fails with {@code NotFound} when the cache holds no committed
     * version of the path, and {@code InvalidArgument} where tags cannot be stored.
     */
    default CompletableFuture<ObjectInfo> setTags(NamespacePath path, Map<String, String> tags) {
        return CompletableFuture.failedFuture(new io.wcache.core.error.WcacheException.InvalidArgument(path.toString(),
                "object tags are not stored by this cache"));
    }

    /**
     * The stored access control of {@code bucket} ({@code name} empty), of one of its objects
     * ({@code "o:<key>"}) or of a multipart upload's object ({@code "u:<upload id>"}); empty when
     * none is stored.
     */
    default CompletableFuture<Optional<AccessControl>> accessControl(String bucket, String name) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** The stored access control of every bucket that has one, by bucket name. */
    default CompletableFuture<Map<String, AccessControl>> bucketAccessControls() {
        return CompletableFuture.completedFuture(Map.of());
    }

    /** Stores (replaces) an access control; see {@link #accessControl}. */
    default CompletableFuture<Void> putAccessControl(String bucket, String name, AccessControl acl) {
        return CompletableFuture.failedFuture(new io.wcache.core.error.WcacheException.InvalidArgument(bucket,
                "access control lists are not stored by this cache"));
    }

    /** Removes an access control ({@code name} null: every one of the bucket, its own included). */
    default CompletableFuture<Void> deleteAccessControl(String bucket, String name) {
        return CompletableFuture.completedFuture(null);
    }

    /** The S3 bucket policy document of {@code bucket}; empty when it has none. */
    default CompletableFuture<Optional<String>> bucketPolicy(String bucket) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** Stores (replaces) the bucket policy of {@code bucket}, a document the S3 frontend validated. */
    default CompletableFuture<Void> putBucketPolicy(String bucket, String policy) {
        return CompletableFuture.failedFuture(new io.wcache.core.error.WcacheException.InvalidArgument(bucket,
                "bucket policies are not stored by this cache"));
    }

    /** Removes the bucket policy of {@code bucket}, if any. */
    default CompletableFuture<Void> deleteBucketPolicy(String bucket) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * S3 DeleteObject as a versioned bucket has it (docs/S3-COMPATIBILITY.md, Versioning): with a
     * {@code versionId} ({@code "null"}: the null version), that version is removed (the current
     * one: the newest older version becomes current again); without, in a bucket whose versioning
     * is Enabled or Suspended, a delete marker becomes the latest version and the current version
     * is kept; in any other bucket it is {@link #delete}.
     */
    default CompletableFuture<VersionedDelete> deleteVersioned(NamespacePath path, Optional<String> versionId) {
        if (versionId.isPresent()) {
            return CompletableFuture.failedFuture(new io.wcache.core.error.WcacheException.InvalidArgument(
                    path.toString(), "object versions are not kept by this cache"));
        }
        return delete(path).thenApply(existed -> new VersionedDelete(existed, "", false));
    }

    /**
     * The archived (non-current) versions and delete markers of bucket {@code bucket} whose keys
     * start with {@code keyPrefix}, after the archive path {@code startAfter} (empty: from the
     * first), at most {@code limit}, in archive-path order: each one's {@link ObjectInfo#path()} is
     * its archive path ({@link io.wcache.core.path.ObjectVersions#parse} gives the key and id).
     */
    default CompletableFuture<List<ObjectInfo>> archivedVersions(String bucket, String keyPrefix, String startAfter,
                                                                 int limit) {
        return CompletableFuture.completedFuture(List.of());
    }

    /**
     * Records {@code etag}, computed after the commit, as the ETag of the committed version of
     * {@code path} with {@code generation} if that version has none yet ({@link
     * ObjectInfo#etagPending()}); the version as recorded, empty when the path has moved on or this
     * cache keeps no such state. Callers compute it with {@link Etags}.
     */
    default CompletableFuture<Optional<ObjectInfo>> recordEtag(NamespacePath path, long generation, String etag) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * {@code info} with its ETag ({@link Etags#resolve(CacheService, ObjectInfo, java.util.concurrent.Executor)}):
     * as it is when known, else computed now from the path's committed version and recorded.
     */
    default CompletableFuture<ObjectInfo> withEtag(ObjectInfo info) {
        return Etags.resolve(this, info, java.util.concurrent.ForkJoinPool.commonPool());
    }

    /** Starts a multipart upload of {@code path}; the object appears only on completion. */
    CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options);

    /** Opens a session that writes part {@code partNumber} (1..10000) of an upload; committing it stores the part. */
    CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber);

    /**
     * Completes an upload from the listed parts, in order; the object's ETag is the multipart
     * ETag ({@code md5-of-md5s-N}). Fails with {@code InvalidArgument} naming the part when a
     * part is missing, out of order, or (except the last) smaller than the minimum part size.
     */
    CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts);

    /**
     * Completes as {@link #completeMultipart(NamespacePath, String, List)} and stores {@code checksum}
     * (computed by the caller from the parts' checksums) with the object, and each named part's
     * checksum for reads of one part.
     */
    default CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts,
                                                            Optional<ObjectChecksum> checksum) {
        return completeMultipart(path, uploadId, parts);
    }

    /** The upload in progress (its checksum algorithm and type); fails with {@code NotFound}. */
    default CompletableFuture<MultipartUpload> multipartUpload(NamespacePath path, String uploadId) {
        return listMultipartUploads(path.toString()).thenApply(all -> all.stream()
                .filter(u -> u.uploadId().equals(uploadId) && u.path().equals(path)).findFirst()
                .orElseThrow(() -> new io.wcache.core.error.WcacheException.NotFound(uploadId,
                        "no multipart upload " + uploadId + " in progress")));
    }

    /** Abandons an upload and frees its parts. */
    CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId);

    /** The parts stored so far for an upload, in part-number order. */
    CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId);

    /** Uploads in progress whose path starts with {@code prefix} (a full namespace path prefix). */
    CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix);
}
