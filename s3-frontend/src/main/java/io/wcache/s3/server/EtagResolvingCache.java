package io.wcache.s3.server;

import io.wcache.core.cache.AccessControl;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.Etags;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.VersionedDelete;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * The cache as the S3 frontend sees it: every object it is given carries its ETag. A file written
 * through the FUSE mount commits without one ({@link ObjectInfo#etagPending()}); the cache computes
 * it after the close, and an S3 request that meets the object before that has it computed then
 * ({@link CacheService#withEtag}; a GET hashes the version it is about to send), so a HEAD, GET,
 * listing or copy never answers without the object's MD5 ETag. Everything else passes through.
 */
final class EtagResolvingCache implements CacheService {

    private final CacheService cache;

    private EtagResolvingCache(CacheService cache) {
        this.cache = cache;
    }

    static CacheService of(CacheService cache) {
        return cache instanceof EtagResolvingCache ? cache : new EtagResolvingCache(cache);
    }

    private CompletableFuture<ObjectInfo> resolved(ObjectInfo info) {
        return info.etagPending() ? cache.withEtag(info) : CompletableFuture.completedFuture(info);
    }

    private CompletableFuture<List<ObjectInfo>> resolved(List<ObjectInfo> infos) {
        if (infos.stream().noneMatch(ObjectInfo::etagPending)) {
            return CompletableFuture.completedFuture(infos);
        }
        List<CompletableFuture<ObjectInfo>> each = new ArrayList<>(infos.size());
        for (ObjectInfo i : infos) {
            // A listing keeps the entry it listed (its path, its place); only the ETag is filled in.
            // One object whose bytes cannot be read now (evicted, its store down) keeps its entry
            // without an ETag rather than fail the whole page; a HEAD or GET of it reports the error.
            each.add(resolved(i).thenApply(r -> r.generation() == i.generation() ? r : i.withEtag(r.etag()))
                    .exceptionally(e -> i));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
    }

    // ---------------------------------------------------------------- what answers objects

    @Override
    public CompletableFuture<Optional<ObjectInfo>> stat(NamespacePath path) {
        return cache.stat(path).thenCompose(o -> o.isEmpty() || !o.get().etagPending()
                ? CompletableFuture.completedFuture(o) : resolved(o.get()).thenApply(Optional::of));
    }

    @Override
    public CompletableFuture<ObjectReader> open(NamespacePath path) {
        return cache.open(path).thenCompose(reader -> {
            if (!reader.info().etagPending()) {
                return CompletableFuture.completedFuture(reader);
            }
            // The ETag of exactly the version this reader sends: the cache's (computed or joined)
            // when that is still the path's version, else hashed from the reader itself.
            ObjectInfo info = reader.info();
            return cache.withEtag(info)
                    .handle((r, e) -> e == null && r.generation() == info.generation() && !r.etagPending()
                            ? CompletableFuture.completedFuture(info.withEtag(r.etag()))
                            : Etags.resolve(cache, reader, ForkJoinPool.commonPool()))
                    .thenCompose(f -> f)
                    .handle((resolved, e) -> {
                        if (e != null) {
                            reader.close();
                            throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
                        }
                        return Etags.withInfo(reader, resolved);
                    });
        });
    }

    @Override
    public CompletableFuture<ListResult> list(ListQuery query) {
        return cache.list(query).thenCompose(r -> resolved(r.objects())
                .thenApply(objects -> objects == r.objects() ? r : new ListResult(objects, r.commonPrefixes(), r.continuation())));
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> archivedVersions(String bucket, String keyPrefix, String startAfter,
                                                              int limit) {
        return cache.archivedVersions(bucket, keyPrefix, startAfter, limit).thenCompose(this::resolved);
    }

    @Override
    public CompletableFuture<ObjectInfo> setTags(NamespacePath path, Map<String, String> tags) {
        return cache.setTags(path, tags).thenCompose(this::resolved);
    }

    /**
     * Runs {@code start} once the current object's ETag is known, when {@code options} makes the
     * write conditional on it ({@code If-Match}), so the condition compares against its real ETag.
     * A failure to learn it is left to the write's own check.
     */
    private <T> CompletableFuture<T> conditional(NamespacePath path, WriteOptions options,
                                                 java.util.function.Supplier<CompletableFuture<T>> start) {
        return options.ifMatch().isEmpty() ? start.get()
                : stat(path).handle((o, e) -> null).thenCompose(v -> start.get());
    }

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        return conditional(path, options, () -> cache.create(path, options));
    }

    @Override
    public CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options) {
        return conditional(path, options, () -> cache.createMultipart(path, options));
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts) {
        return cache.completeMultipart(path, uploadId, parts);
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts,
                                                           Optional<ObjectChecksum> checksum) {
        return cache.completeMultipart(path, uploadId, parts, checksum);
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> recordEtag(NamespacePath path, long generation, String etag) {
        return cache.recordEtag(path, generation, etag);
    }

    @Override
    public CompletableFuture<ObjectInfo> withEtag(ObjectInfo info) {
        return cache.withEtag(info);
    }

    // ---------------------------------------------------------------- passed through

    @Override
    public MountTable mounts() {
        return cache.mounts();
    }

    @Override
    public CompletableFuture<Map<String, Instant>> mountCreationTimes() {
        return cache.mountCreationTimes();
    }

    @Override
    public Resolution resolvePolicy(NamespacePath path) {
        return cache.resolvePolicy(path);
    }

    @Override
    public CompletableFuture<Boolean> anyListed(NamespacePath mount, String prefix, Optional<NamespacePath> ignored) {
        return cache.anyListed(mount, prefix, ignored);
    }

    @Override
    public CompletableFuture<Boolean> delete(NamespacePath path) {
        return cache.delete(path);
    }

    @Override
    public CompletableFuture<Optional<AccessControl>> accessControl(String bucket, String name) {
        return cache.accessControl(bucket, name);
    }

    @Override
    public CompletableFuture<Map<String, AccessControl>> bucketAccessControls() {
        return cache.bucketAccessControls();
    }

    @Override
    public CompletableFuture<Void> putAccessControl(String bucket, String name, AccessControl acl) {
        return cache.putAccessControl(bucket, name, acl);
    }

    @Override
    public CompletableFuture<Void> deleteAccessControl(String bucket, String name) {
        return cache.deleteAccessControl(bucket, name);
    }

    @Override
    public CompletableFuture<Optional<String>> bucketPolicy(String bucket) {
        return cache.bucketPolicy(bucket);
    }

    @Override
    public CompletableFuture<Void> putBucketPolicy(String bucket, String policy) {
        return cache.putBucketPolicy(bucket, policy);
    }

    @Override
    public CompletableFuture<Void> deleteBucketPolicy(String bucket) {
        return cache.deleteBucketPolicy(bucket);
    }

    @Override
    public CompletableFuture<VersionedDelete> deleteVersioned(NamespacePath path, Optional<String> versionId) {
        return cache.deleteVersioned(path, versionId);
    }

    @Override
    public CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber) {
        return cache.uploadPart(path, uploadId, partNumber);
    }

    @Override
    public CompletableFuture<MultipartUpload> multipartUpload(NamespacePath path, String uploadId) {
        return cache.multipartUpload(path, uploadId);
    }

    @Override
    public CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId) {
        return cache.abortMultipart(path, uploadId);
    }

    @Override
    public CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId) {
        return cache.listParts(path, uploadId);
    }

    @Override
    public CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix) {
        return cache.listMultipartUploads(prefix);
    }
}
