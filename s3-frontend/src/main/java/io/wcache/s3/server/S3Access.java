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
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

    private record CachedPolicy(Optional<S3Policy> policy, long loadedNanos) {
    }

    private final Map<String, CachedPolicy> policies = new ConcurrentHashMap<>();

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

    /** Forgets every ACL and the policy of a bucket that was deleted. */
    CompletableFuture<Void> forgetBucket(String bucket) {
        buckets.remove(bucket);
        policies.remove(bucket);
        return cache.deleteAccessControl(bucket, null).whenComplete((v, e) -> {
            buckets.remove(bucket);
            policies.remove(bucket);
        });
    }

    // ------------------------------------------------------------------ bucket policies

    /** The bucket's policy document as stored; empty when it has none. */
    CompletableFuture<Optional<String>> policyDocument(String bucket) {
        return cache.bucketPolicy(bucket);
    }

    /**
     * The bucket's parsed policy (cached as the ACL is). A stored document that no longer parses
     * (a user it names was removed from {@code s3.credentials}) denies everything but the owner's
     * policy operations, so a Deny it held cannot lapse; the owner can replace or delete it.
     */
    CompletableFuture<Optional<S3Policy>> policy(String bucket) {
        CachedPolicy c = policies.get(bucket);
        long now = System.nanoTime();
        if (c != null && now - c.loadedNanos < BUCKET_TTL_NANOS) {
            return CompletableFuture.completedFuture(c.policy);
        }
        return cache.bucketPolicy(bucket).thenApply(doc -> {
            Optional<S3Policy> p = doc.map(d -> {
                try {
                    return S3Policy.parse(d, users);
                } catch (S3Exception e) {
                    return S3Policy.DENY_ALL;
                }
            });
            policies.put(bucket, new CachedPolicy(p, now));
            return p;
        });
    }

    /** Validates and stores a bucket policy. */
    CompletableFuture<Void> putPolicy(String bucket, String document) {
        if (!enforced) {
            throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "Bucket policies are enforced only for signed requests"
                    + " (s3.auth sigv4); without users nothing could be allowed or denied");
        }
        S3Policy.parse(document, users);
        policies.remove(bucket);
        return cache.putBucketPolicy(bucket, document).whenComplete((v, e) -> policies.remove(bucket));
    }

    CompletableFuture<Void> deletePolicy(String bucket) {
        policies.remove(bucket);
        return cache.deleteBucketPolicy(bucket).whenComplete((v, e) -> policies.remove(bucket));
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
        return bucketAcl(bucket).thenCompose(acl -> policy(bucket).thenCompose(p -> p.isEmpty()
                ? aclDecision(r, who, handler, bucket, acl, Optional.empty())
                : policyDecision(r, who, handler, bucket, acl, p.get())));
    }

    /**
     * With a bucket policy: an explicit Deny refuses (the bucket owner keeps its policy
     * operations), an Allow admits, and otherwise the ACLs decide as without one. Object reads
     * keep their ACL path for a missing object (listing decides between 404 and 403, the policy's
     * s3:ListBucket with s3:prefix the key included).
     */
    private CompletableFuture<Void> policyDecision(S3Request r, S3User who, S3Handler handler, String bucket,
                                                   AccessControl acl, S3Policy policy) {
        boolean owner = !who.anonymous() && who.id().equals(acl.ownerId());
        switch (r.operation()) {
            case GET_BUCKET_POLICY, PUT_BUCKET_POLICY, DELETE_BUCKET_POLICY, GET_BUCKET_POLICY_STATUS -> {
                if (owner) {
                    return CompletableFuture.completedFuture(null);
                }
            }
            default -> {
            }
        }
        if (!owner && (r.operation() == S3Operation.PUT_BUCKET_POLICY
                || r.operation() == S3Operation.DELETE_BUCKET_POLICY)) {
            // As on S3: only the bucket owner sets or removes its policy.
            return CompletableFuture.failedFuture(denied(r));
        }
        if (r.operation() == S3Operation.DELETE_OBJECTS) {
            // Each key is judged by deleteAllowed once the body is read.
            return CompletableFuture.completedFuture(null);
        }
        String key = r.key().orElse(null);
        return decide(r, who, handler, policy, action(r), bucket, key).thenCompose(d -> switch (d) {
            case DENY -> CompletableFuture.failedFuture(denied(r));
            case ALLOW -> switch (r.operation()) {
                case GET_OBJECT, HEAD_OBJECT, GET_OBJECT_TAGGING, GET_OBJECT_ATTRIBUTES, GET_OBJECT_ACL ->
                        missingObjectListable(r, bucket, key == null ? "" : key, acl, who, Optional.of(policy),
                                handler);
                case COPY_OBJECT, UPLOAD_PART_COPY -> copySourceReadable(r, who, handler);
                default -> CompletableFuture.completedFuture(null);
            };
            case NONE -> aclDecision(r, who, handler, bucket, acl, Optional.of(policy));
        });
    }

    private CompletableFuture<Void> aclDecision(S3Request r, S3User who, S3Handler handler, String bucket,
                                                AccessControl acl, Optional<S3Policy> policy) {
        return switch (r.operation()) {
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
                    objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.READ, policy, handler);
            case GET_OBJECT_ACL -> objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.READ_ACP, policy, handler);
            case PUT_OBJECT_ACL -> objectNeed(r, bucket, r.key().orElse(""), acl, who, S3Acl.WRITE_ACP, policy,
                    handler);
            // Deleting the bucket, its location, versioning, policy and other settings: the owner alone.
            default -> !who.anonymous() && who.id().equals(acl.ownerId()) ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(denied(r));
        };
    }

    /**
     * Which keys of a DeleteObjects request {@code who} may not delete: a policy's Deny of
     * s3:DeleteObject for the key, or neither its Allow nor the bucket ACL's WRITE. Each is answered
     * {@code AccessDenied} in the result, as S3 does.
     */
    CompletableFuture<Set<String>> deniedDeletes(S3Request r, S3User who, S3Handler handler, List<String> keys) {
        if (!enforced) {
            return CompletableFuture.completedFuture(Set.of());
        }
        String bucket = r.bucket().orElse("");
        return bucketAcl(bucket).thenCompose(acl -> policy(bucket).thenCompose(p -> {
            boolean write = S3Acl.allows(acl, who, S3Acl.WRITE);
            if (p.isEmpty()) {
                return CompletableFuture.completedFuture(write ? Set.<String>of() : Set.copyOf(keys));
            }
            Set<String> denied = ConcurrentHashMap.newKeySet();
            CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
            for (String k : keys) {
                all = all.thenCompose(v -> decide(r, who, handler, p.get(), "s3:DeleteObject", bucket, k)
                        .thenAccept(d -> {
                            if (d == S3Policy.Decision.DENY || (d == S3Policy.Decision.NONE && !write)) {
                                denied.add(k);
                            }
                        }));
            }
            return all.thenApply(v -> Set.copyOf(denied));
        }));
    }

    /** The S3 action a request is judged as (the IAM name, e.g. s3:GetObject). */
    static String action(S3Request r) {
        return switch (r.operation()) {
            case HEAD_BUCKET, LIST_OBJECTS, LIST_OBJECTS_V2 -> "s3:ListBucket";
            case LIST_OBJECT_VERSIONS -> "s3:ListBucketVersions";
            case LIST_MULTIPART_UPLOADS -> "s3:ListBucketMultipartUploads";
            case GET_BUCKET_ACL -> "s3:GetBucketAcl";
            case PUT_BUCKET_ACL -> "s3:PutBucketAcl";
            case PUT_OBJECT, COPY_OBJECT, CREATE_MULTIPART_UPLOAD, UPLOAD_PART, UPLOAD_PART_COPY,
                    COMPLETE_MULTIPART_UPLOAD -> "s3:PutObject";
            case DELETE_OBJECT, DELETE_OBJECTS -> "s3:DeleteObject";
            case ABORT_MULTIPART_UPLOAD -> "s3:AbortMultipartUpload";
            case LIST_PARTS -> "s3:ListMultipartUploadParts";
            case GET_OBJECT, HEAD_OBJECT -> "s3:GetObject";
            case GET_OBJECT_TAGGING -> "s3:GetObjectTagging";
            case PUT_OBJECT_TAGGING -> "s3:PutObjectTagging";
            case DELETE_OBJECT_TAGGING -> "s3:DeleteObjectTagging";
            case GET_OBJECT_ATTRIBUTES -> "s3:GetObjectAttributes";
            case GET_OBJECT_ACL -> "s3:GetObjectAcl";
            case PUT_OBJECT_ACL -> "s3:PutObjectAcl";
            case DELETE_BUCKET -> "s3:DeleteBucket";
            case GET_BUCKET_LOCATION -> "s3:GetBucketLocation";
            case GET_BUCKET_VERSIONING -> "s3:GetBucketVersioning";
            case PUT_BUCKET_VERSIONING -> "s3:PutBucketVersioning";
            case GET_BUCKET_POLICY -> "s3:GetBucketPolicy";
            case PUT_BUCKET_POLICY -> "s3:PutBucketPolicy";
            case DELETE_BUCKET_POLICY -> "s3:DeleteBucketPolicy";
            case GET_BUCKET_POLICY_STATUS -> "s3:GetBucketPolicyStatus";
            case GET_BUCKET_CONFIG, PUT_BUCKET_CONFIG, DELETE_BUCKET_CONFIG -> configAction(r);
            case LIST_BUCKETS -> "s3:ListAllMyBuckets";
            case CREATE_BUCKET -> "s3:CreateBucket";
            case NOT_IMPLEMENTED -> "s3:*";
        };
    }

    private static String configAction(S3Request r) {
        String which = r.query().values().keySet().stream().filter(S3RequestParser.BUCKET_CONFIGS::contains)
                .findFirst().orElse("");
        boolean get = r.operation() == S3Operation.GET_BUCKET_CONFIG;
        String verb = get ? "Get" : "Put";
        return "s3:" + switch (which) {
            case "cors" -> verb + "BucketCORS";
            case "lifecycle" -> verb + "LifecycleConfiguration";
            case "encryption" -> verb + "EncryptionConfiguration";
            case "tagging" -> verb + "BucketTagging";
            case "website" -> r.operation() == S3Operation.DELETE_BUCKET_CONFIG ? "DeleteBucketWebsite"
                    : verb + "BucketWebsite";
            case "logging" -> verb + "BucketLogging";
            case "notification" -> verb + "BucketNotification";
            case "replication" -> verb + "ReplicationConfiguration";
            case "object-lock" -> verb + "BucketObjectLockConfiguration";
            case "ownershipControls" -> r.operation() == S3Operation.DELETE_BUCKET_CONFIG
                    ? "DeleteBucketOwnershipControls" : verb + "BucketOwnershipControls";
            case "publicAccessBlock" -> verb + "BucketPublicAccessBlock";
            case "requestPayment" -> verb + "BucketRequestPayment";
            case "accelerate" -> verb + "AccelerateConfiguration";
            default -> "*";
        };
    }

    /** The policy's decision on {@code action} for the bucket ({@code key} null) or one of its objects. */
    private CompletableFuture<S3Policy.Decision> decide(S3Request r, S3User who, S3Handler handler, S3Policy policy,
                                                        String action, String bucket, String key) {
        String resource = "arn:aws:s3:::" + bucket + (key == null ? "" : "/" + key);
        CompletableFuture<Map<String, String>> tags = key == null || !policy.usesExistingObjectTags()
                ? CompletableFuture.completedFuture(Map.of())
                : cache.stat(handler.objectPath(bucket, key)).thenApply(o -> o.map(ObjectInfo::tags).orElse(Map.of()));
        return tags.thenApply(t -> policy.evaluate(new S3Policy.Request(who, action, resource,
                name -> conditionValue(r, who, handler, name, t))));
    }

    /** The value of a condition key for this request; empty when the request has none. */
    static Optional<String> conditionValue(S3Request r, S3User who, S3Handler handler, String name,
                                           Map<String, String> existingTags) {
        if (name.startsWith(S3Policy.EXISTING_TAG)) {
            return Optional.ofNullable(existingTags.get(name.substring(S3Policy.EXISTING_TAG.length())));
        }
        if (name.startsWith(S3Policy.REQUEST_TAG)) {
            String header = r.headers().get("x-amz-tagging");
            if (header == null) {
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(S3Tags.fromHeader(header).get(name.substring(S3Policy.REQUEST_TAG.length())));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
        return switch (name) {
            case "aws:referer" -> header(r, "Referer");
            case "aws:useragent" -> header(r, "User-Agent");
            case "aws:sourceip" -> handler == null ? Optional.empty() : handler.remoteIp();
            case "aws:securetransport" -> Optional.of(String.valueOf(handler != null && handler.secure()));
            case "aws:currenttime" -> Optional.of(java.time.Instant.now().toString());
            case "aws:epochtime" -> Optional.of(String.valueOf(java.time.Instant.now().getEpochSecond()));
            case "aws:userid", "aws:username" -> who.anonymous() ? Optional.empty() : Optional.of(who.id());
            case "aws:principaltype" -> Optional.of(who.anonymous() ? "Anonymous" : "Account");
            case "s3:prefix" -> r.operation() == S3Operation.LIST_OBJECTS || r.operation() == S3Operation.LIST_OBJECTS_V2
                    || r.operation() == S3Operation.LIST_OBJECT_VERSIONS
                    ? Optional.of(r.query().first("prefix").orElse("")) : Optional.empty();
            case "s3:delimiter" -> r.query().first("delimiter");
            case "s3:max-keys" -> r.query().first("max-keys");
            case "s3:signatureversion" -> signatureVersion(r);
            // As S3 compares it: bucket/key, decoded, without a leading slash.
            case "s3:x-amz-copy-source" -> r.copySource().map(c -> c.bucket() + "/" + c.key());
            case "s3:authtype" -> who.anonymous() ? Optional.empty()
                    : Optional.of(r.headers().contains("Authorization") ? "REST-HEADER" : "REST-QUERY-STRING");
            default -> header(r, name.substring(3));
        };
    }

    private static Optional<String> header(S3Request r, String name) {
        return Optional.ofNullable(r.headers().get(name));
    }

    private static Optional<String> signatureVersion(S3Request r) {
        String auth = r.headers().get("Authorization");
        if (auth != null) {
            return Optional.of(auth.startsWith("AWS4-") ? "AWS4-HMAC-SHA256" : "AWS");
        }
        if (r.query().has("X-Amz-Algorithm")) {
            return Optional.of("AWS4-HMAC-SHA256");
        }
        return r.query().has("Signature") ? Optional.of("AWS") : Optional.empty();
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
                                               S3User who, String permission, Optional<S3Policy> policy,
                                               S3Handler handler) {
        if (!bucketAcl.objectAcls() && !who.anonymous() && who.id().equals(bucketAcl.ownerId())) {
            // Fast path: every object of the bucket is its owner's, private.
            return CompletableFuture.completedFuture(null);
        }
        return cache.stat(handler.objectPath(bucket, key)).thenCompose(info -> {
            if (info.isEmpty()) {
                return listable(r, bucket, key, bucketAcl, who, policy, handler);
            }
            return objectAcl(bucket, key, bucketAcl, info.get()).thenCompose(acl -> need(r, acl, who, permission));
        });
    }

    /** After a policy allowed reading {@code key}: a missing object is 404 only to who may list the bucket. */
    private CompletableFuture<Void> missingObjectListable(S3Request r, String bucket, String key, AccessControl acl,
                                                          S3User who, Optional<S3Policy> policy, S3Handler handler) {
        return cache.stat(handler.objectPath(bucket, key)).thenCompose(info -> info.isPresent()
                ? CompletableFuture.completedFuture(null) : listable(r, bucket, key, acl, who, policy, handler));
    }

    /**
     * Whether the caller may learn that {@code key} is missing: it may list the bucket (the ACL's
     * READ, or the policy's s3:ListBucket with s3:prefix the key; a Deny refuses), as on S3.
     */
    private CompletableFuture<Void> listable(S3Request r, String bucket, String key, AccessControl acl, S3User who,
                                             Optional<S3Policy> policy, S3Handler handler) {
        S3Policy.Decision d = policy.map(p -> p.evaluate(new S3Policy.Request(who, "s3:ListBucket",
                "arn:aws:s3:::" + bucket, name -> name.equals("s3:prefix") ? Optional.of(key)
                        : conditionValue(r, who, handler, name, Map.of())))).orElse(S3Policy.Decision.NONE);
        boolean ok = d == S3Policy.Decision.ALLOW || (d == S3Policy.Decision.NONE && S3Acl.allows(acl, who, S3Acl.READ));
        return ok ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(denied(r));
    }

    /** The copy source's read permission: its bucket's policy (s3:GetObject on the source), then its ACL. */
    private CompletableFuture<Void> copySourceReadable(S3Request r, S3User who, S3Handler handler) {
        Optional<CopySource> cs = r.copySource();
        if (cs.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String bucket = cs.get().bucket();
        String key = cs.get().key();
        handler.requireBucket(bucket);
        return bucketAcl(bucket).thenCompose(acl -> policy(bucket).thenCompose(p -> {
            if (p.isEmpty()) {
                return objectNeed(r, bucket, key, acl, who, S3Acl.READ, p, handler);
            }
            return decide(r, who, handler, p.get(), "s3:GetObject", bucket, key).thenCompose(d -> switch (d) {
                case DENY -> CompletableFuture.failedFuture(denied(r));
                case ALLOW -> missingObjectListable(r, bucket, key, acl, who, p, handler);
                case NONE -> objectNeed(r, bucket, key, acl, who, S3Acl.READ, p, handler);
            });
        }));
    }
}
