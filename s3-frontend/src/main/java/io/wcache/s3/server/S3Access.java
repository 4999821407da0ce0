package io.wcache.s3.server;

import io.wcache.core.cache.AccessControl;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.S3User;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.CopySource;
import io.wcache.s3.request.S3Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Who may do what (docs/SECURITY.md): every request is checked here before its operation runs.
 * A bucket belongs to the user who created it (one without a record of its own, e.g. a configured
 * mount, to the default owner); an object to its writer. Bucket operations need the bucket ACL's
 * permission (READ to list, WRITE to put and delete objects, READ_ACP/WRITE_ACP for its ACL;
 * deleting the bucket and its other settings are its owner's alone); reads of an object and of its
 * ACL need the object ACL's. An unsigned request is {@link S3User#ANONYMOUS}: only a grant to
 * AllUsers admits it. With no ACL ever set, everything is the default owner's, private.
 *
 * <p>Bucket ACLs are cached for {@link #BUCKET_TTL_NANOS} (changes made through this worker apply
 * at once; those made through another worker sharing the catalog within that time).
 */
final class S3Access {
    static final long BUCKET_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final CacheService cache;
    private final S3Acl.Users users;
    private final boolean enforced;
    private final Map<String, Cached> buckets = new ConcurrentHashMap<>();

    private record Cached(AccessControl acl, long loadedNanos) {
    }

    S3Access(CacheService cache, AuthMode auth) {
        this.cache = cache;
        this.enforced = auth instanceof AuthMode.SigV4;
        this.users = new S3Acl.Users(auth instanceof AuthMode.SigV4 s ? s.usersByAccessKey().values() : List.of());
    }

    S3Acl.Users users() {
        return users;
    }

    // ------------------------------------------------------------------ stored ACLs

    /** The bucket's ACL: its record, or the default owner's private one. */
    CompletableFuture<AccessControl> bucketAcl(String bucket) {
        Cached c = buckets.get(bucket);
        long now = System.nanoTime();
        if (c != null && now - c.loadedNanos < BUCKET_TTL_NANOS) {
            return CompletableFuture.completedFuture(c.acl);
        }
        return cache.accessControl(bucket, "").thenApply(o -> {
            AccessControl acl = o.orElseGet(() -> S3Acl.privateTo(S3User.DEFAULT));
            buckets.put(bucket, new Cached(acl, now));
            return acl;
        });
    }

    CompletableFuture<Void> putBucketAcl(String bucket, AccessControl acl) {
        buckets.remove(bucket);
        return cache.putAccessControl(bucket, "", acl).whenComplete((v, e) -> buckets.remove(bucket));
    }

    /** Forgets every ACL of a bucket that was deleted. */
    CompletableFuture<Void> forgetBucket(String bucket) {
        buckets.remove(bucket);
        return cache.deleteAccessControl(bucket, null).whenComplete((v, e) -> buckets.remove(bucket));
    }

    static String objectName(String key) {
        return "o:" + key;
    }

    static String uploadName(String uploadId) {
        return "u:" + uploadId;
    }

    /**
     * The ACL of the object's current version {@code info}: its record when it was stored for that
     * very version, else private to the bucket owner.
     */
    CompletableFuture<AccessControl> objectAcl(String bucket, String key, AccessControl bucketAcl, ObjectInfo info) {
        AccessControl fallback = S3Acl.privateTo(S3Acl.owner(bucketAcl));
        if (!bucketAcl.objectAcls() || info == null) {
            return CompletableFuture.completedFuture(fallback);
        }
        return cache.accessControl(bucket, objectName(key)).thenApply(o -> o
                .filter(a -> a.generation() == info.generation()
                        && a.versionTimeMs() == info.lastModified().toEpochMilli())
                .orElse(fallback));
    }

    /**
     * Stores the ACL of an object version (or of an upload's future object) unless it is the one a
     * missing record stands for; marks the bucket as having object ACLs first.
     */
    CompletableFuture<Void> putObjectAcl(String bucket, String name, AccessControl bucketAcl, AccessControl acl) {
        AccessControl fallback = S3Acl.privateTo(S3Acl.owner(bucketAcl));
        if (!bucketAcl.objectAcls() && acl.ownerId().equals(fallback.ownerId()) && acl.grants().equals(fallback.grants())) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> marked = bucketAcl.objectAcls() ? CompletableFuture.completedFuture(null)
                : cache.accessControl(bucket, "").thenCompose(o -> o.isPresent()
                        ? CompletableFuture.completedFuture(null)
                        : putBucketAcl(bucket, bucketAcl.withObjectAcls(true)));
        return marked.thenCompose(v -> cache.putAccessControl(bucket, name, acl))
                .whenComplete((v, e) -> buckets.remove(bucket));
    }

    // ------------------------------------------------------------------ ACLs of new objects

    /**
     * The ACL a write gives its object: owned by the writer (by the bucket owner for an anonymous
     * writer, or when the bucket's object ownership is {@code BucketOwnerEnforced}), with the grants
     * of the request's {@code x-amz-acl} or {@code x-amz-grant-*} headers ({@code private} by default).
     */
    AccessControl newObjectAcl(S3Request r, S3User who, AccessControl bucketAcl) {
        S3User bucketOwner = S3Acl.owner(bucketAcl);
        S3User owner = who.anonymous() || !enforced || "BucketOwnerEnforced".equals(bucketAcl.objectOwnership())
                ? bucketOwner : who;
        return new AccessControl(owner.id(), owner.displayName(),
                S3Acl.fromHeaders(r.headers(), owner, bucketOwner, users), 0, 0, false, "", "");
    }

    /** After PutObject or CopyObject committed {@code info}: stores the new version's ACL. */
    CompletableFuture<Void> afterWrite(S3Request r, S3User who, ObjectInfo info) {
        String bucket = r.bucket().orElse("");
        return bucketAcl(bucket).thenCompose(b -> putObjectAcl(bucket, objectName(r.key().orElse("")), b,
                newObjectAcl(r, who, b).withVersion(info.generation(), info.lastModified().toEpochMilli())));
    }

    /** After CreateMultipartUpload: keeps the ACL the completed object will get, with the upload. */
    CompletableFuture<Void> afterCreateUpload(S3Request r, S3User who, String uploadId) {
        String bucket = r.bucket().orElse("");
        return bucketAcl(bucket).thenCompose(b -> putObjectAcl(bucket, uploadName(uploadId), b,
                newObjectAcl(r, who, b)));
    }

    /** After CompleteMultipartUpload made {@code info}: the upload's ACL becomes the version's. */
    CompletableFuture<Void> afterComplete(S3Request r, String uploadId, ObjectInfo info) {
        String bucket = r.bucket().orElse("");
        return bucketAcl(bucket).thenCompose(b -> !b.objectAcls() ? CompletableFuture.completedFuture(null)
                : cache.accessControl(bucket, uploadName(uploadId)).thenCompose(o -> o.isEmpty()
                        ? CompletableFuture.completedFuture(null)
                        : cache.putAccessControl(bucket, objectName(r.key().orElse("")),
                                        o.get().withVersion(info.generation(), info.lastModified().toEpochMilli()))
                                .thenCompose(v -> cache.deleteAccessControl(bucket, uploadName(uploadId)))));
    }

    /** After AbortMultipartUpload: drops the upload's ACL. */
    CompletableFuture<Void> afterAbort(S3Request r, String uploadId) {
        String bucket = r.bucket().orElse("");
        return bucketAcl(bucket).thenCompose(b -> !b.objectAcls() ? CompletableFuture.completedFuture(null)
                : cache.deleteAccessControl(bucket, uploadName(uploadId)));
    }

    // ------------------------------------------------------------------ checks

    private static S3Exception denied(S3Request r) {
        return new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, "Access Denied", r.resource()));
    }

    /**
     * Checks the request against the ACLs before it runs; fails with {@code 403 AccessDenied}
     * (or the bucket's {@code 404 NoSuchBucket}) when it may not.
     */
    CompletableFuture<Void> authorize(S3Request r, S3User who, S3Handler handler) {
        switch (r.operation()) {
            case PUT_OBJECT, COPY_OBJECT, CREATE_MULTIPART_UPLOAD, CREATE_BUCKET, PUT_BUCKET_ACL, PUT_OBJECT_ACL -> {
                if (S3Acl.named(r.headers())) {
                    // A malformed or unknown ACL is refused before anything is written.
                    S3Acl.fromHeaders(r.headers(), S3User.DEFAULT, S3User.DEFAULT, users);
                }
            }
            default -> {
            }
        }
        if (!enforced) {
            return CompletableFuture.completedFuture(null);
        }
        switch (r.operation()) {
            case LIST_BUCKETS, CREATE_BUCKET -> {
                if (who.anonymous()) {
                    throw denied(r);
                }
                return CompletableFuture.completedFuture(null);
            }
            case NOT_IMPLEMENTED -> {
                return CompletableFuture.completedFuture(null);
            }
            default -> {
            }
        }
        String bucket = r.bucket().orElse("");
        handler.requireBucket(bucket);
        return bucketAcl(bucket).thenCompose(acl -> switch (r.operation()) {
            case HEAD_BUCKET, LIST_OBJECTS, LIST_OBJECTS_V2, LIST_OBJECT_VERSIONS, LIST_MULTIPART_UPLOADS ->
                    need(r, acl, who, S3Acl.READ);
            case GET_BUCKET_ACL -> need(r, acl, who, S3Acl.READ_ACP);
            case PUT_BUCKET_ACL -> need(r, acl, who, S3Acl.WRITE_ACP);
            case PUT_OBJECT, DELETE_OBJECT, DELETE_OBJECTS, CREATE_MULTIPART_UPLOAD, UPLOAD_PART,
                    COMPLETE_MULTIPART_UPLOAD, ABORT_MULTIPART_UPLOAD, LIST_PARTS, PUT_OBJECT_TAGGING,
                    DELETE_OBJECT_TAGGING -> need(r, acl, who, S3Acl.WRITE);
            case COPY_OBJECT, UPLOAD_PART_COPY -> need(r, acl, who, S3Acl.WRITE)
                    .thenCompose(v -> copySourceReadable(r, who, handler));
            case GET_OBJECT, HEAD_OBJECT, GET_OBJECT_TAGGING, GET_OBJECT_ATTRIBUTES ->
                    objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.READ, handler);
            case GET_OBJECT_ACL -> objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.READ_ACP, handler);
            case PUT_OBJECT_ACL -> objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.WRITE_ACP, handler);
            // Deleting the bucket, its location, versioning and other settings: the owner alone.
            default -> !who.anonymous() && who.id().equals(acl.ownerId()) ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(denied(r));
        });
    }

    private static CompletableFuture<Void> need(S3Request r, AccessControl acl, S3User who, String permission) {
        return S3Acl.allows(acl, who, permission) ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(denied(r));
    }

    /**
     * The object's permission. A missing object is left to the operation (its {@code 404}) when the
     * user may list the bucket, and is {@code 403} otherwise, as on S3.
     */
    private CompletableFuture<Void> objectNeed(S3Request r, String bucket, String key, AccessControl bucketAcl,
                                               S3User who, String permission, S3Handler handler) {
        if (!bucketAcl.objectAcls() && !who.anonymous() && who.id().equals(bucketAcl.ownerId())) {
            // Fast path: every object of the bucket is its owner's, private.
            return CompletableFuture.completedFuture(null);
        }
        return cache.stat(handler.objectPath(bucket, key)).thenCompose(info -> {
            if (info.isEmpty()) {
                return S3Acl.allows(bucketAcl, who, S3Acl.READ) ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(denied(r));
            }
            return objectAcl(bucket, key, bucketAcl, info.get()).thenCompose(acl -> need(r, acl, who, permission));
        });
    }

    private CompletableFuture<Void> copySourceReadable(S3Request r, S3User who, S3Handler handler) {
        Optional<CopySource> cs = r.copySource();
        if (cs.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String bucket = cs.get().bucket();
        handler.requireBucket(bucket);
        return bucketAcl(bucket).thenCompose(acl -> objectNeed(r, bucket, cs.get().key(), acl, who, S3Acl.READ,
                handler));
    }
}
