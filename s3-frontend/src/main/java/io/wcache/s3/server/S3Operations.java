package io.wcache.s3.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartParts;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.path.NamespacePath;
import io.wcache.s3.checksum.ChecksumAlgorithm;
import io.wcache.s3.checksum.IncrementalChecksum;
import io.wcache.s3.checksum.StoredChecksums;
import io.wcache.s3.checksum.VerifiedPayload;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.ByteRange;
import io.wcache.s3.request.Conditions;
import io.wcache.s3.request.CopySource;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.RequestLimits;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.xml.S3XmlModel.CompleteMultipartUpload;
import io.wcache.s3.xml.S3XmlModel.CompletedPart;
import io.wcache.s3.xml.S3XmlModel.DeleteError;
import io.wcache.s3.xml.S3XmlModel.DeleteRequest;
import io.wcache.s3.xml.S3XmlModel.DeleteResult;
import io.wcache.s3.xml.S3XmlModel.ObjectIdentifier;
import io.wcache.s3.xml.S3XmlModel.Owner;
import io.wcache.s3.xml.S3XmlModel.PartEntry;
import io.wcache.s3.xml.S3XmlModel.UploadEntry;
import io.wcache.s3.xml.S3XmlParser;
import io.wcache.s3.xml.S3XmlWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The S3 operations of one request, each turning the parsed request into CacheService calls and
 * a response. Full responses are returned as futures (the handler sends them on the event loop);
 * GET bodies are handed to the handler's streamer instead, and those futures complete with
 * {@code null}.
 */
final class S3Operations {
    private static final int COPY_PIECE = 1 << 20;

    private final S3Handler.Shared shared;
    private final S3Handler.Exchange x;
    private final S3Request r;
    private final S3Handler handler;
    private final CacheService cache;

    S3Operations(S3Handler.Shared shared, S3Handler.Exchange x, S3Handler handler) {
        this.shared = shared;
        this.x = x;
        this.r = x.request;
        this.handler = handler;
        this.cache = shared.cache();
    }

    /** Operations without a body of their own. */
    CompletableFuture<FullHttpResponse> run() {
        return switch (r.operation()) {
            case LIST_BUCKETS -> cache.mountCreationTimes().thenCombine(cache.bucketAccessControls(),
                    (created, acls) -> S3Handler.xml(HttpResponseStatus.OK, S3XmlWriter.listBuckets(
                            new Owner(x.user().id(), x.user().displayName()), cache.mounts().mounts().stream()
                                    .filter(m -> ownedByCaller(acls.get(m.name())))
                                    .map(m -> S3Handler.bucketEntry(m.name(),
                                            created.getOrDefault(m.name(), shared.startedAt())))
                                    .toList())));
            case HEAD_BUCKET -> {
                handler.requireBucket(bucket());
                FullHttpResponse resp = S3Handler.empty(HttpResponseStatus.OK);
                resp.headers().set("x-amz-bucket-region", "us-east-1");
                yield done(resp);
            }
            case GET_BUCKET_LOCATION -> {
                handler.requireBucket(bucket());
                // The LocationConstraint given at creation; none (us-east-1) otherwise.
                yield shared.access().bucketAcl(bucket()).thenApply(acl -> S3Handler.xml(HttpResponseStatus.OK,
                        S3XmlWriter.bucketLocation(acl.location().isEmpty() ? "us-east-1" : acl.location())));
            }
            case DELETE_BUCKET -> deleteBucket();
            case LIST_OBJECTS -> listObjects(false);
            case LIST_OBJECTS_V2 -> listObjects(true);
            case GET_OBJECT -> getObject();
            case HEAD_OBJECT -> headObject();
            case DELETE_OBJECT -> deleteObject();
            case COPY_OBJECT -> copyObject();
            case UPLOAD_PART_COPY -> uploadPartCopy();
            case CREATE_MULTIPART_UPLOAD -> createMultipart();
            case ABORT_MULTIPART_UPLOAD -> cache.abortMultipart(handler.objectPath(r), r.uploadId().orElseThrow())
                    .thenCompose(v -> shared.access().afterAbort(r, r.uploadId().orElseThrow()))
                    .thenApply(v -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
            case LIST_PARTS -> listParts();
            case LIST_MULTIPART_UPLOADS -> listUploads();
            default -> CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.NOT_IMPLEMENTED,
                    "Operation " + r.operation() + " is not implemented"));
        };
    }

    private String bucket() {
        return r.bucket().orElse("");
    }

    private static <T> CompletableFuture<T> done(T v) {
        return CompletableFuture.completedFuture(v);
    }

    // ------------------------------------------------------------------ buckets

    /** Whether the caller owns a bucket with this ACL record (none: the default owner's); all are, without SigV4. */
    private boolean ownedByCaller(io.wcache.core.cache.AccessControl acl) {
        if (!(shared.config().auth() instanceof io.wcache.s3.auth.AuthMode.SigV4)) {
            return true;
        }
        return (acl == null ? io.wcache.s3.auth.S3User.DEFAULT.id() : acl.ownerId()).equals(x.user().id());
    }

    /**
     * CreateBucket: the caller owns the new bucket, with the ACL of its {@code x-amz-acl} or
     * {@code x-amz-grant-*} headers and the LocationConstraint of its body. Creating a bucket that
     * exists is {@code 409 BucketAlreadyExists}, except for its owner asking for the ACL it has,
     * which succeeds (as S3 in us-east-1).
     */
    CompletableFuture<FullHttpResponse> createBucket(byte[] body) {
        String b = bucket();
        String location = S3XmlParser.parseLocationConstraint(body);
        S3Access access = shared.access();
        io.wcache.s3.auth.S3User who = x.user();
        if (cache.mounts().find(b).isPresent()) {
            return access.bucketAcl(b).thenApply(acl -> {
                boolean mine = ownedByCaller(acl);
                if (!mine || !S3Acl.fromHeaders(r.headers(), who, who, access.users()).equals(acl.grants())) {
                    throw new S3Exception(S3Error.of(S3ErrorCode.BUCKET_ALREADY_EXISTS, null, "/" + b));
                }
                return location(b);
            });
        }
        io.wcache.core.cache.AccessControl acl = new io.wcache.core.cache.AccessControl(who.id(), who.displayName(),
                S3Acl.fromHeaders(r.headers(), who, who, access.users()), 0, 0, false, "", location);
        return shared.config().bucketCreation().create(b)
                .thenCompose(v -> access.forgetBucket(b))
                .thenCompose(v -> access.putBucketAcl(b, acl))
                .thenApply(v -> location(b));
    }

    private static FullHttpResponse location(String bucket) {
        FullHttpResponse resp = S3Handler.empty(HttpResponseStatus.OK);
        resp.headers().set(HttpHeaderNames.LOCATION, "/" + bucket);
        return resp;
    }

    private CompletableFuture<FullHttpResponse> deleteBucket() {
        handler.requireBucket(bucket());
        return shared.config().bucketCreation().delete(bucket())
                .thenCompose(v -> shared.access().forgetBucket(bucket()))
                .thenApply(v -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
    }

    // ------------------------------------------------------------------ listings

    private CompletableFuture<FullHttpResponse> listObjects(boolean v2) {
        handler.requireBucket(bucket());
        return shared.access().bucketAcl(bucket()).thenCompose(acl -> listObjects(v2,
                new Owner(acl.ownerId(), acl.ownerName())));
    }

    /** Objects are listed with the bucket owner as their owner. */
    private CompletableFuture<FullHttpResponse> listObjects(boolean v2, Owner owner) {
        ListParams p = r.list().orElseThrow();
        NamespacePath mount = NamespacePath.of("/" + bucket());
        if (p.maxKeys() == 0) {
            var page = S3Handler.page(List.of(), List.of(), false, Optional.empty());
            return done(S3Handler.xml(HttpResponseStatus.OK, v2
                    ? S3XmlWriter.listObjectsV2(bucket(), p, page, Optional.of(owner))
                    : S3XmlWriter.listObjectsV1(bucket(), p, page, Optional.of(owner))));
        }
        String after;
        Optional<String> token;
        if (v2) {
            after = p.startAfter().orElse("");
            token = p.continuationToken();
        } else {
            after = p.marker().orElse("");
            token = Optional.empty();
            // A v1 NextMarker may be a common prefix: continue after everything under it.
            if (p.delimiter().isPresent() && !after.isEmpty() && after.startsWith(p.prefix())
                    && after.endsWith(p.delimiter().get())) {
                after = after + "\uffff";
            }
        }
        return cache.list(S3Handler.listQuery(mount, p, after, token)).thenApply(l -> {
            Optional<String> next = v2 ? l.continuation() : lastOf(l);
            var page = S3Handler.page(l.objects(), l.commonPrefixes(), l.truncated(), l.truncated() ? next
                    : Optional.empty());
            return S3Handler.xml(HttpResponseStatus.OK, v2
                    ? S3XmlWriter.listObjectsV2(bucket(), p, page, Optional.of(owner))
                    : S3XmlWriter.listObjectsV1(bucket(), p, page, Optional.of(owner)));
        });
    }

    private static Optional<String> lastOf(ListResult l) {
        String a = l.objects().isEmpty() ? null : l.objects().get(l.objects().size() - 1).path().relativeToMount();
        String b = l.commonPrefixes().isEmpty() ? null : l.commonPrefixes().get(l.commonPrefixes().size() - 1);
        if (a == null) {
            return Optional.ofNullable(b);
        }
        if (b == null) {
            return Optional.of(a);
        }
        return Optional.of(NamespacePath.compareCodePoints(a, b) > 0 ? a : b);
    }

    // ------------------------------------------------------------------ objects

    private CompletableFuture<FullHttpResponse> getObject() {
        NamespacePath key = handler.objectPath(r);
        return versions().resolve(key, S3Versions.requested(r), r.resource()).thenCompose(cache::open)
                .exceptionallyCompose(e -> notFound(key, e))
                .thenApplyAsync(reader -> {
            try {
                return serveGet(reader);
            } catch (RuntimeException e) {
                reader.close();
                throw e;
            }
        }, handler.ctx().executor());
    }

    private FullHttpResponse serveGet(ObjectReader reader) {
        ObjectInfo info = reader.info();
        FullHttpResponse early = preconditions(info);
        if (early != null) {
            reader.close();
            return early;
        }
        Selection sel = select(info);
        HttpResponse head = S3Handler.streamingHead(sel.status());
        S3Handler.objectHeaders(head.headers(), info);
        sel.headers().forEach((k, v) -> head.headers().set(k, v));
        checksumHeaders(head.headers(), info);
        r.responseHeaderOverrides().forEach((k, v) -> head.headers().set(k, v));
        handler.respondStreaming(x, head, reader, sel.start(), sel.length());
        return null;
    }

    /**
     * A GET or HEAD that found nothing: in a versioned bucket, a {@code 404} saying whether the
     * latest version is a delete marker; any other failure as it is.
     */
    private <T> CompletableFuture<T> notFound(NamespacePath key, Throwable e) {
        Throwable t = S3Handler.unwrap(e);
        boolean missing = t instanceof WcacheException.NotFound
                || (t instanceof S3Exception s3 && s3.error().code() == S3ErrorCode.NO_SUCH_KEY);
        if (!missing || S3Versions.requested(r).isPresent()) {
            return CompletableFuture.failedFuture(t);
        }
        return shared.access().bucketAcl(bucket()).thenCompose(acl -> acl.versioning().isEmpty()
                ? CompletableFuture.failedFuture(t)
                : versions().noSuchKey(key, r.resource()).thenCompose(CompletableFuture::failedFuture));
    }

    private S3Versions versions() {
        return new S3Versions(cache);
    }

    /**
     * DeleteObject: with {@code versionId}, that version; in a versioned bucket without, a delete
     * marker (both say so in {@code x-amz-delete-marker} and {@code x-amz-version-id}).
     */
    private CompletableFuture<FullHttpResponse> deleteObject() {
        NamespacePath path = handler.objectPath(r);
        Optional<String> vid = S3Versions.requested(r);
        if (vid.isPresent() && !io.wcache.core.path.ObjectVersions.isVersionId(vid.get())) {
            return CompletableFuture.failedFuture(new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT,
                    "Invalid version id specified", r.resource())));
        }
        return cache.deleteVersioned(path, vid).thenApply(d -> {
            FullHttpResponse resp = S3Handler.empty(HttpResponseStatus.NO_CONTENT);
            if (d.deleteMarker()) {
                resp.headers().set(S3Versions.DELETE_MARKER_HEADER, "true");
            }
            if (!d.versionId().isEmpty()) {
                resp.headers().set(S3Versions.VERSION_ID_HEADER, d.versionId());
            } else if (vid.isPresent()) {
                resp.headers().set(S3Versions.VERSION_ID_HEADER, vid.get());
            }
            return resp;
        });
    }

    private CompletableFuture<FullHttpResponse> headObject() {
        NamespacePath key = handler.objectPath(r);
        return versions().resolve(key, S3Versions.requested(r), r.resource()).thenCompose(cache::stat)
                .thenCompose(o -> o.isPresent() ? done(o) : notFound(key,
                        new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_KEY, null, r.resource()))))
                .thenApply(o -> {
            ObjectInfo info = o.orElseThrow();
            FullHttpResponse early = preconditions(info);
            if (early != null) {
                return early;
            }
            Selection sel = select(info);
            FullHttpResponse resp = S3Handler.empty(sel.status());
            S3Handler.objectHeaders(resp.headers(), info);
            sel.headers().forEach((k, v) -> resp.headers().set(k, v));
            checksumHeaders(resp.headers(), info);
            r.responseHeaderOverrides().forEach((k, v) -> resp.headers().set(k, v));
            // HEAD announces the length a GET would send.
            resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, sel.length());
            return resp;
        });
    }

    /**
     * In checksum mode ({@code x-amz-checksum-mode: ENABLED}), the stored checksum of what is served,
     * as S3: the object's for the whole object, the part's for a {@code partNumber} read of a
     * multipart object (with the object's checksum type), none for a range.
     */
    private void checksumHeaders(io.netty.handler.codec.http.HttpHeaders h, ObjectInfo info) {
        if (!StoredChecksums.modeEnabled(r.headers()) || info.checksum().isEmpty()) {
            return;
        }
        ObjectChecksum c = info.checksum().get();
        if (r.partNumber().isPresent() && !info.partSizes().isEmpty()) {
            int pn = r.partNumber().getAsInt();
            List<String> parts = info.partChecksums();
            if (pn <= parts.size() && !parts.get(pn - 1).isEmpty()) {
                StoredChecksums.setHeaders(h, c, parts.get(pn - 1));
            }
            return;
        }
        if (r.range().isPresent()) {
            return;
        }
        StoredChecksums.setHeaders(h, c, c.value());
    }

    /** {@code 304}/{@code 412} for failing conditions, else null. */
    private FullHttpResponse preconditions(ObjectInfo info) {
        Conditions.Outcome o = r.conditions().evaluateRead(info.etag(), info.lastModified(), true);
        return switch (o) {
            case PROCEED -> null;
            case NOT_MODIFIED -> {
                FullHttpResponse resp = S3Handler.empty(HttpResponseStatus.NOT_MODIFIED);
                resp.headers().set(HttpHeaderNames.ETAG, S3Handler.quote(info.etag()))
                        .set(HttpHeaderNames.LAST_MODIFIED, io.wcache.s3.xml.S3Timestamps.rfc1123(info.lastModified()));
                yield resp;
            }
            case PRECONDITION_FAILED -> throw new S3Exception(S3Error.of(S3ErrorCode.PRECONDITION_FAILED, null,
                    r.resource()));
        };
    }

    /** Which bytes a GET/HEAD serves: whole object, one range, or one part of a multipart object. */
    private record Selection(HttpResponseStatus status, long start, long length, Map<String, String> headers) {
    }

    /** As S3 (ceph/s3-tests test_multipart_get_part): a part number beyond the parts is 400 InvalidPart. */
    private static String beyondParts(int partNumber, int parts) {
        return "The requested partnumber is not satisfiable: part " + partNumber + " of an object of " + parts
                + (parts == 1 ? " part" : " parts");
    }

    private Selection select(ObjectInfo info) {
        long size = info.size();
        if (r.partNumber().isPresent()) {
            int pn = r.partNumber().getAsInt();
            List<Long> parts = info.partSizes();
            if (parts.isEmpty()) {
                if (pn != 1) {
                    throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_PART, beyondParts(pn, 1), r.resource()));
                }
                return new Selection(HttpResponseStatus.OK, 0, size, Map.of());
            }
            if (pn > parts.size()) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_PART, beyondParts(pn, parts.size()),
                        r.resource()));
            }
            long start = 0;
            for (int i = 0; i < pn - 1; i++) {
                start += parts.get(i);
            }
            long len = parts.get(pn - 1);
            Map<String, String> h = new HashMap<>();
            h.put("x-amz-mp-parts-count", String.valueOf(parts.size()));
            if (len > 0) {
                h.put(HttpHeaderNames.CONTENT_RANGE.toString(), new ByteRange.Span(start, len).contentRange(size));
            }
            return new Selection(HttpResponseStatus.PARTIAL_CONTENT, start, len, h);
        }
        if (r.range().isPresent()) {
            ByteRange.Span span = r.range().get().resolve(size);
            return new Selection(HttpResponseStatus.PARTIAL_CONTENT, span.start(), span.length(),
                    Map.of(HttpHeaderNames.CONTENT_RANGE.toString(), span.contentRange(size)));
        }
        return new Selection(HttpResponseStatus.OK, 0, size, Map.of());
    }

    // ------------------------------------------------------------------ put object and upload part

    /**
     * PutObject: the write session its body streams into (the handler appends the payload, then
     * calls {@link #commitUpload}).
     */
    CompletableFuture<WriteSession> openPutObject() {
        return cache.create(handler.objectPath(r), S3Handler.writeOptions(r));
    }

    /** UploadPart: the part's write session its body streams into, as {@link #openPutObject}. */
    CompletableFuture<WriteSession> openUploadPart() {
        return cache.uploadPart(handler.objectPath(r), r.uploadId().orElseThrow(), r.partNumber().orElseThrow());
    }

    /**
     * Commits a PutObject or UploadPart whose whole body was appended and verified, and answers
     * with its ETag and the checksum the client sent, which is stored with it. PutObject's conditions
     * are checked first.
     */
    CompletableFuture<FullHttpResponse> commitUpload(WriteSession s, VerifiedPayload payload) {
        CompletableFuture<Void> conditions = r.operation() == S3Operation.PUT_OBJECT
                ? writeConditions(s.path()) : done(null);
        // The verified checksum is stored with the version (or part) in the commit itself.
        Optional<ObjectChecksum> checksum = payload.checksum().map(StoredChecksums::of);
        return conditions.thenCompose(v -> s.commit(checksum)).thenCompose(info -> r.operation() != S3Operation.PUT_OBJECT
                ? done(info) : shared.access().afterWrite(r, x.user(), info).thenApply(v -> info)).thenApply(info -> {
            FullHttpResponse resp = S3Handler.empty(HttpResponseStatus.OK);
            resp.headers().set(HttpHeaderNames.ETAG, S3Handler.quote(info.etag()));
            if (!info.versionId().isEmpty()) {
                resp.headers().set(S3Versions.VERSION_ID_HEADER, info.versionId());
            }
            payload.checksum().ifPresent(c -> resp.headers().set(c.algorithm().headerName(), c.base64()));
            if (checksum.isPresent() && r.operation() == S3Operation.PUT_OBJECT) {
                resp.headers().set(StoredChecksums.TYPE_HEADER, checksum.get().type());
            }
            return resp;
        });
    }

    /**
     * Conditional writes (PutObject, CompleteMultipartUpload), checked early (also against an
     * object only in the UFS) so a refused write answers at once; the commit checks them again
     * atomically (see WriteOptions).
     */
    private CompletableFuture<Void> writeConditions(NamespacePath path) {
        Conditions c = r.conditions();
        if (c.ifMatch().isEmpty() && c.ifNoneMatch().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return cache.stat(path).thenApply(cur -> {
            if (cur.isEmpty() && !c.ifMatch().isEmpty()) {
                // As S3: If-Match on a key that does not exist is 404 NoSuchKey, not a failed precondition.
                throw new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_KEY, null, r.resource()));
            }
            if (c.evaluateWrite(cur.map(ObjectInfo::etag)) != Conditions.Outcome.PROCEED) {
                throw new S3Exception(S3Error.of(S3ErrorCode.PRECONDITION_FAILED, null, r.resource()));
            }
            return null;
        });
    }


    // ------------------------------------------------------------------ delete objects

    CompletableFuture<FullHttpResponse> deleteObjects(byte[] body) {
        handler.requireBucket(bucket());
        DeleteRequest req = S3XmlParser.parseDelete(body);
        List<String> deleted = new ArrayList<>();
        List<io.wcache.s3.xml.S3XmlModel.Deleted> versioned = new ArrayList<>();
        List<DeleteError> errors = new ArrayList<>();
        CompletableFuture<java.util.Set<String>> refused = shared.access().deniedDeletes(r, x.user(), handler,
                req.objects().stream().map(ObjectIdentifier::key).toList());
        CompletableFuture<Void> chain = refused.thenApply(d -> null);
        for (ObjectIdentifier id : req.objects()) {
            chain = chain.thenCompose(v -> (refused.join().contains(id.key())
                    ? CompletableFuture.<io.wcache.core.cache.VersionedDelete>failedFuture(
                            new S3Exception(S3ErrorCode.ACCESS_DENIED, "Access Denied"))
                    : deleteOne(id.key(), id.versionId())).handle((d, e) -> {
                if (e == null) {
                    synchronized (deleted) {
                        deleted.add(id.key());
                        // As S3: the version named, and the delete marker made (or deleted by id).
                        versioned.add(new io.wcache.s3.xml.S3XmlModel.Deleted(id.key(), id.versionId().orElse(""),
                                d.deleteMarker(), d.deleteMarker() ? d.versionId() : ""));
                    }
                } else {
                    S3Error err = handler.toS3Error(x, e);
                    synchronized (deleted) {
                        errors.add(new DeleteError(id.key(), err.code().code(), err.message()));
                    }
                }
                return null;
            }));
        }
        return chain.thenApply(v -> {
            synchronized (deleted) {
                return S3Handler.xml(HttpResponseStatus.OK,
                        S3XmlWriter.deleteResult(new DeleteResult(deleted, errors, versioned), req.quiet()));
            }
        });
    }

    private CompletableFuture<io.wcache.core.cache.VersionedDelete> deleteOne(String key, Optional<String> versionId) {
        try {
            if (versionId.isPresent() && !io.wcache.core.path.ObjectVersions.isVersionId(versionId.get())) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT, "Invalid version id specified",
                        "/" + bucket() + "/" + key));
            }
            return cache.deleteVersioned(handler.objectPath(bucket(), key), versionId);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // ------------------------------------------------------------------ copy

    private CompletableFuture<FullHttpResponse> copyObject() {
        NamespacePath dst = handler.objectPath(r);
        CopySource cs = r.copySource().orElseThrow();
        NamespacePath src = handler.objectPath(cs.bucket(), cs.key());
        if (src.equals(dst) && !r.replaceMetadata()) {
            return CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.INVALID_REQUEST,
                    "This copy request is illegal because it is trying to copy an object to itself without changing"
                            + " the object's metadata, storage class, website redirect location or encryption"
                            + " attributes."));
        }
        String tagDirective = r.headers().get("x-amz-tagging-directive");
        if (tagDirective != null && !tagDirective.equalsIgnoreCase("COPY") && !tagDirective.equalsIgnoreCase("REPLACE")) {
            return CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "Unknown tagging directive: " + tagDirective));
        }
        boolean replaceTags = tagDirective != null && tagDirective.equalsIgnoreCase("REPLACE");
        return versions().resolve(src, cs.versionId(), "/" + cs.bucket() + "/" + cs.key()).thenCompose(cache::open)
                .thenCompose(reader -> {
            CompletableFuture<ObjectInfo> copied;
            try {
                ObjectInfo info = reader.info();
                checkCopySource(info);
                RequestLimits.checkCopySourceSize(info.size(), r.resource());
                // COPY keeps the source's content type, user metadata and standard headers; REPLACE takes the request's.
                WriteOptions opts = r.replaceMetadata() ? S3Handler.writeOptions(r)
                        : new WriteOptions(info.contentType(), info.userMetadata(), Optional.empty(),
                                S3Handler.writeOptions(r).ifNoneMatch(), info.standardHeaders(),
                                S3Handler.writeOptions(r).ifMatch());
                // Tags follow x-amz-tagging-directive alike: COPY (the default) keeps the source's,
                // REPLACE takes x-amz-tagging (none if absent).
                opts = opts.withTags(replaceTags ? S3Handler.writeOptions(r).tags() : info.tags());
                // The copy carries a checksum computed over the bytes copied: of the algorithm asked for
                // (x-amz-checksum-algorithm), else of the source's (a composite one becomes a whole-object
                // checksum: the copy is a single-part object).
                Optional<ChecksumAlgorithm> alg = copyChecksumAlgorithm(info);
                copied = cache.create(dst, opts).thenCompose(s -> copyInto(reader, s, 0, info.size(), alg));
            } catch (RuntimeException e) {
                copied = CompletableFuture.failedFuture(e);
            }
            return copied.whenComplete((i, e) -> reader.close());
        }).thenCompose(info -> shared.access().afterWrite(r, x.user(), info).thenApply(v -> info))
                .thenApply(info -> {
                    FullHttpResponse resp = S3Handler.xml(HttpResponseStatus.OK, S3XmlWriter.copyObjectResult(
                            S3Handler.quote(info.etag()), info.lastModified(), info.checksum()));
                    if (!info.versionId().isEmpty()) {
                        resp.headers().set(S3Versions.VERSION_ID_HEADER, info.versionId());
                    }
                    cs.versionId().ifPresent(v -> resp.headers().set("x-amz-copy-source-version-id", v));
                    return resp;
                });
    }

    private CompletableFuture<FullHttpResponse> uploadPartCopy() {
        NamespacePath dst = handler.objectPath(r);
        CopySource cs = r.copySource().orElseThrow();
        NamespacePath src = handler.objectPath(cs.bucket(), cs.key());
        String tagDirective = r.headers().get("x-amz-tagging-directive");
        if (tagDirective != null && !tagDirective.equalsIgnoreCase("COPY") && !tagDirective.equalsIgnoreCase("REPLACE")) {
            return CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "Unknown tagging directive: " + tagDirective));
        }
        // A part copied into an upload created with a checksum algorithm gets that checksum of its bytes.
        return cache.multipartUpload(dst, r.uploadId().orElseThrow()).thenCompose(upload -> versions()
                .resolve(src, cs.versionId(), "/" + cs.bucket() + "/" + cs.key()).thenCompose(cache::open)
                .thenCompose(reader -> {
            CompletableFuture<ObjectInfo> copied;
            try {
                ObjectInfo info = reader.info();
                checkCopySource(info);
                long start = 0;
                long len = info.size();
                if (r.copySourceRange().isPresent()) {
                    ByteRange.Closed c = r.copySourceRange().get();
                    if (c.last() >= info.size()) {
                        throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_RANGE, null, r.resource()));
                    }
                    start = c.first();
                    len = c.last() - c.first() + 1;
                }
                long s0 = start;
                long end = start + len;
                copied = cache.uploadPart(dst, r.uploadId().orElseThrow(), r.partNumber().orElseThrow())
                        .thenCompose(s -> copyInto(reader, s, s0, end,
                                upload.checksum().map(StoredChecksums::algorithm)));
            } catch (RuntimeException e) {
                copied = CompletableFuture.failedFuture(e);
            }
            return copied.whenComplete((i, e) -> reader.close());
        })).thenApply(info -> S3Handler.xml(HttpResponseStatus.OK,
                S3XmlWriter.copyPartResult(S3Handler.quote(info.etag()), info.lastModified(), info.checksum())));
    }

    private void checkCopySource(ObjectInfo info) {
        if (r.copySourceConditions().evaluateRead(info.etag(), info.lastModified(), false)
                != Conditions.Outcome.PROCEED) {
            throw new S3Exception(S3Error.of(S3ErrorCode.PRECONDITION_FAILED, null, r.resource()));
        }
    }

    private Optional<ChecksumAlgorithm> copyChecksumAlgorithm(ObjectInfo source) {
        String asked = r.headers().get(StoredChecksums.ALGORITHM_HEADER);
        if (asked != null && !asked.isBlank()) {
            return Optional.of(ChecksumAlgorithm.fromS3Name(asked).orElseThrow(() ->
                    new S3Exception(S3ErrorCode.INVALID_REQUEST, "Checksum algorithm provided is unsupported. Please"
                            + " try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")));
        }
        return source.checksum().map(StoredChecksums::algorithm);
    }

    /**
     * Copies {@code [from, end)} of the reader into the session, piece by piece, then commits (or
     * aborts on failure), with the checksum of algorithm {@code alg} of the copied bytes, if one is given.
     */
    private static CompletableFuture<ObjectInfo> copyInto(ObjectReader reader, WriteSession s, long from, long end,
                                                          Optional<ChecksumAlgorithm> alg) {
        IncrementalChecksum sum = alg.map(ChecksumAlgorithm::newChecksum).orElse(null);
        return copyRange(reader, s, from, end, sum)
                .thenCompose(v -> s.commit(alg.map(a -> ObjectChecksum.fullObject(a.s3Name(),
                        java.util.Base64.getEncoder().encodeToString(sum.finish())))))
                .whenComplete((i, e) -> {
                    if (e != null) {
                        s.abort();
                    }
                });
    }

    private static CompletableFuture<Void> copyRange(ObjectReader reader, WriteSession s, long off, long end,
                                                     IncrementalChecksum sum) {
        if (off >= end) {
            return CompletableFuture.completedFuture(null);
        }
        return reader.read(off, (int) Math.min(COPY_PIECE, end - off)).thenCompose(buf -> {
            if (!buf.hasRemaining()) {
                return CompletableFuture.failedFuture(new WcacheException.Corruption(s.path().toString(),
                        "copy source ended early at " + off));
            }
            int n = (int) Math.min(buf.remaining(), end - off);
            buf.limit(buf.position() + n);
            if (sum != null) {
                sum.update(buf.duplicate());
            }
            return s.append(buf).thenCompose(v -> copyRange(reader, s, off + n, end, sum));
        });
    }

    // ------------------------------------------------------------------ multipart

    private CompletableFuture<FullHttpResponse> createMultipart() {
        Optional<ObjectChecksum> checksum = StoredChecksums.forUpload(r.headers());
        return cache.createMultipart(handler.objectPath(r), S3Handler.writeOptions(r).withChecksum(checksum))
                .thenCompose(u -> shared.access().afterCreateUpload(r, x.user(), u.uploadId()).thenApply(v -> u))
                .thenApply(u -> {
                    FullHttpResponse resp = S3Handler.xml(HttpResponseStatus.OK,
                            S3XmlWriter.initiateMultipartUpload(bucket(), r.key().orElse(""), u.uploadId()));
                    u.checksum().ifPresent(c -> resp.headers().set(StoredChecksums.ALGORITHM_HEADER, c.algorithm())
                            .set(StoredChecksums.TYPE_HEADER, c.type()));
                    return resp;
                });
    }

    CompletableFuture<FullHttpResponse> completeMultipart(byte[] body) {
        NamespacePath path = handler.objectPath(r);
        String uploadId = r.uploadId().orElseThrow();
        CompleteMultipartUpload req = S3XmlParser.parseCompleteMultipartUpload(body);
        return cache.multipartUpload(path, uploadId)
                .thenCompose(u -> cache.listParts(path, uploadId).thenApply(stored -> Map.entry(u, stored)))
                .handle((found, e) -> {
            if (e == null) {
                return completeNamed(path, uploadId, req, found.getKey(), found.getValue());
            }
            if (S3Handler.unwrap(e) instanceof WcacheException.NotFound) {
                // Not in progress: a retried completion of a completed upload is answered as the first one was
                // (the cache refuses it with NoSuchUpload unless it was completed with these very parts).
                return cache.completeMultipart(path, uploadId, req.parts().stream()
                        .map(cp -> new PartRef(cp.partNumber(), Conditions.unquote(cp.etag()))).toList());
            }
            return CompletableFuture.<ObjectInfo>failedFuture(e);
        }).thenCompose(f -> f).thenCompose(info -> shared.access().afterComplete(r, uploadId, info)
                .thenApply(v -> info)).thenApply(info -> {
                    FullHttpResponse resp = S3Handler.xml(HttpResponseStatus.OK, S3XmlWriter.completeMultipartUpload(
                            "/" + bucket() + "/" + r.key().orElse(""), bucket(), r.key().orElse(""),
                            S3Handler.quote(info.etag()), info.checksum()));
                    if (!info.versionId().isEmpty()) {
                        resp.headers().set(S3Versions.VERSION_ID_HEADER, info.versionId());
                    }
                    return resp;
                });
    }

    private CompletableFuture<ObjectInfo> completeNamed(NamespacePath path, String uploadId, CompleteMultipartUpload req,
                                                        MultipartUpload upload, List<PartInfo> stored) {
        try {
            Map<Integer, PartInfo> byNumber = new HashMap<>();
            stored.forEach(p -> byNumber.put(p.partNumber(), p));
            List<PartRef> named = req.parts().stream()
                    .map(cp -> new PartRef(cp.partNumber(), Conditions.unquote(cp.etag()))).toList();
            // As S3: every named part must exist (InvalidPart) before sizes are judged, the whole first.
            if (MultipartParts.namingViolation(named, byNumber).isPresent()) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_PART, null, r.resource()));
            }
            // A part checksum named in the request must be the one the part was uploaded with.
            for (CompletedPart cp : req.parts()) {
                PartInfo p = byNumber.get(cp.partNumber());
                for (Map.Entry<ChecksumAlgorithm, String> c : cp.checksums().entrySet()) {
                    if (p.checksum().isEmpty() || !p.checksum().get().algorithm().equals(c.getKey().s3Name())
                            || !p.checksum().get().value().equals(c.getValue().trim())) {
                        throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_PART, null, r.resource()));
                    }
                }
            }
            RequestLimits.checkAssembledSize(named.stream().mapToLong(p -> byNumber.get(p.partNumber()).size()).sum(),
                    r.resource());
            if (MultipartParts.sizeViolation(named, byNumber).isPresent()) {
                throw new S3Exception(S3Error.of(S3ErrorCode.ENTITY_TOO_SMALL, null, r.resource()));
            }
            List<PartRef> refs = named.stream()
                    .map(p -> new PartRef(p.partNumber(), byNumber.get(p.partNumber()).etag())).toList();
            Optional<ObjectChecksum> checksum = completedChecksum(upload, req.parts(), byNumber);
            return writeConditions(path).thenCompose(v -> cache.completeMultipart(path, uploadId, refs, checksum));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The checksum of the completed object of an upload created with a checksum algorithm, from the
     * checksums its parts were uploaded with; a checksum sent with the completion
     * ({@code x-amz-checksum-<algorithm>}) must equal it ({@code BadDigest} otherwise).
     */
    private Optional<ObjectChecksum> completedChecksum(MultipartUpload upload, List<CompletedPart> parts,
                                                       Map<Integer, PartInfo> byNumber) {
        if (upload.checksum().isEmpty()) {
            return Optional.empty();
        }
        ObjectChecksum declared = upload.checksum().get();
        ChecksumAlgorithm alg = StoredChecksums.algorithm(declared);
        List<String> values = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (CompletedPart cp : parts) {
            PartInfo p = byNumber.get(cp.partNumber());
            if (p.checksum().isEmpty() || !p.checksum().get().algorithm().equals(alg.s3Name())) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_REQUEST, "The upload was created using a "
                        + alg.id() + " checksum. The complete request must include the checksum for each part. It was"
                        + " missing for part " + cp.partNumber() + " in the request.", r.resource()));
            }
            values.add(p.checksum().get().value());
            sizes.add(p.size());
        }
        ObjectChecksum computed = StoredChecksums.complete(declared, values, sizes);
        String type = r.headers().get(StoredChecksums.TYPE_HEADER);
        if (type != null && !type.trim().equalsIgnoreCase(declared.type())) {
            throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_REQUEST, "The upload was created using the "
                    + declared.type() + " checksum mode. The complete request must use the same checksum mode.",
                    r.resource()));
        }
        String sent = r.headers().get(alg.headerName());
        if (sent != null) {
            String v = sent.trim();
            String bare = computed.value().replaceFirst("-\\d+$", "");
            if (!v.equals(computed.value()) && !v.equals(bare)) {
                throw new S3Exception(S3Error.of(S3ErrorCode.BAD_DIGEST, "The " + alg.s3Name()
                        + " you specified did not match the calculated checksum.", r.resource()));
            }
        }
        return Optional.of(computed);
    }

    private CompletableFuture<FullHttpResponse> listParts() {
        NamespacePath path = handler.objectPath(r);
        ListParams p = r.list().orElseThrow();
        int marker = p.marker().map(Integer::parseInt).orElse(0);
        int max = p.maxKeys();
        return cache.multipartUpload(path, r.uploadId().orElseThrow()).thenCompose(upload ->
                cache.listParts(path, r.uploadId().orElseThrow()).thenApply(all -> {
            List<PartEntry> out = new ArrayList<>();
            boolean truncated = false;
            for (PartInfo pi : all) {
                if (pi.partNumber() <= marker) {
                    continue;
                }
                if (out.size() >= max) {
                    truncated = true;
                    break;
                }
                out.add(new PartEntry(pi.partNumber(), pi.lastModified(), S3Handler.quote(pi.etag()), pi.size(),
                        pi.checksum()));
            }
            // max-parts=0 asks for an empty page: it resumes where it started.
            Optional<Integer> next = !truncated ? Optional.empty()
                    : Optional.of(out.isEmpty() ? marker : out.get(out.size() - 1).partNumber());
            return S3Handler.xml(HttpResponseStatus.OK, S3XmlWriter.listParts(bucket(), r.key().orElse(""),
                    r.uploadId().orElseThrow(), p, out, truncated, next, S3Handler.OWNER, upload.checksum()));
        }));
    }

    private CompletableFuture<FullHttpResponse> listUploads() {
        handler.requireBucket(bucket());
        ListParams p = r.list().orElseThrow();
        String base = "/" + bucket() + "/";
        return cache.listMultipartUploads(base + p.prefix()).thenApply(all -> {
            List<MultipartUpload> sorted = new ArrayList<>(all);
            sorted.sort((a, b) -> {
                int c = NamespacePath.compareCodePoints(a.path().relativeToMount(), b.path().relativeToMount());
                return c != 0 ? c : a.initiated().compareTo(b.initiated());
            });
            String keyMarker = p.marker().orElse("");
            List<UploadEntry> uploads = new ArrayList<>();
            TreeSet<String> prefixes = new TreeSet<>(NamespacePath::compareCodePoints);
            boolean truncated = false;
            String nextKey = null;
            String nextId = null;
            for (MultipartUpload u : sorted) {
                String key = u.path().relativeToMount();
                if (!key.startsWith(p.prefix())) {
                    continue;
                }
                if (!keyMarker.isEmpty() && NamespacePath.compareCodePoints(key, keyMarker) <= 0) {
                    continue;
                }
                if (p.delimiter().isPresent()) {
                    int i = key.indexOf(p.delimiter().get(), p.prefix().length());
                    if (i >= 0) {
                        prefixes.add(key.substring(0, i + p.delimiter().get().length()));
                        continue;
                    }
                }
                if (uploads.size() + prefixes.size() >= p.maxKeys()) {
                    truncated = true;
                    break;
                }
                uploads.add(new UploadEntry(key, u.uploadId(), u.initiated()));
                nextKey = key;
                nextId = u.uploadId();
            }
            return S3Handler.xml(HttpResponseStatus.OK, S3XmlWriter.listMultipartUploads(bucket(), p, uploads,
                    List.copyOf(prefixes), truncated, Optional.ofNullable(truncated ? nextKey : null),
                    Optional.ofNullable(truncated ? nextId : null), S3Handler.OWNER));
        });
    }

    static Optional<Mount> mount(CacheService cache, String bucket) {
        return cache.mounts().find(bucket);
    }
}
