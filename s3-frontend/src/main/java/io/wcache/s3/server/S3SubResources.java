package io.wcache.s3.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.path.NamespacePath;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.auth.S3User;
import io.wcache.s3.request.ListParams;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.xml.S3Timestamps;
import io.wcache.s3.xml.S3XmlWriter;
import io.wcache.s3.xml.S3XmlParser;
import io.wcache.s3.xml.XmlWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sub-resources S3 clients probe, answered as an AWS bucket with nothing configured answers
 * them (docs/S3-COMPATIBILITY.md), except what is kept: the versioning status (and
 * ListObjectVersions, {@link S3Versions}), object tags; no CORS, lifecycle, encryption, website or
 * bucket tags, and object attributes from the stored object; ACLs, ownership controls and bucket
 * policies as stored (S3Access).
 */
final class S3SubResources {
    private final S3Handler.Exchange x;
    private final S3Request r;
    private final S3Handler handler;
    private final CacheService cache;
    private final S3Access access;

    S3SubResources(S3Handler.Shared shared, S3Handler.Exchange x, S3Handler handler) {
        this.access = shared.access();
        this.x = x;
        this.r = x.request;
        this.handler = handler;
        this.cache = shared.cache();
    }

    CompletableFuture<FullHttpResponse> run(byte[] body) {
        return switch (r.operation()) {
            case LIST_OBJECT_VERSIONS -> listVersions();
            case GET_BUCKET_VERSIONING -> {
                handler.requireBucket(bucket());
                yield access.bucketAcl(bucket()).thenApply(acl -> {
                    XmlWriter w = new XmlWriter().root("VersioningConfiguration");
                    if (!acl.versioning().isEmpty()) {
                        w.element("Status", acl.versioning());
                    }
                    return xml(w.end());
                });
            }
            case PUT_BUCKET_VERSIONING -> putVersioning(body);
            case GET_BUCKET_ACL -> {
                handler.requireBucket(bucket());
                yield access.bucketAcl(bucket()).thenApply(acl -> xml(S3Acl.xml(acl)));
            }
            case PUT_BUCKET_ACL -> {
                handler.requireBucket(bucket());
                yield access.bucketAcl(bucket()).thenCompose(acl -> {
                    S3User owner = S3Acl.owner(acl);
                    return access.putBucketAcl(bucket(), acl.withGrants(acl.ownerId(), acl.ownerName(),
                            requestedGrants(body, owner, owner)));
                }).thenApply(v -> S3Handler.empty(HttpResponseStatus.OK));
            }
            case GET_BUCKET_CONFIG -> isOwnershipControls() ? getOwnershipControls() : bucketConfig();
            case PUT_BUCKET_CONFIG -> putOwnershipControls(body);
            case DELETE_BUCKET_CONFIG -> {
                handler.requireBucket(bucket());
                CompletableFuture<Void> cleared = !isOwnershipControls() ? done(null)
                        : access.bucketAcl(bucket()).thenCompose(acl -> acl.objectOwnership().isEmpty() ? done(null)
                                : access.putBucketAcl(bucket(), acl.withObjectOwnership("")));
                yield cleared.thenApply(v -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
            }
            case GET_OBJECT_TAGGING -> existing().thenApply(info -> xml(S3Tags.xml(info.tags())));
            case PUT_OBJECT_TAGGING -> {
                java.util.Map<String, String> tags = S3Tags.validate(S3XmlParser.parseTagging(body));
                yield existing().thenCompose(info -> cache.setTags(handler.objectPath(r), tags))
                        .thenApply(info -> S3Handler.empty(HttpResponseStatus.OK));
            }
            case DELETE_OBJECT_TAGGING -> existing().thenCompose(info -> info.tags().isEmpty()
                            ? done(info) : cache.setTags(handler.objectPath(r), java.util.Map.of()))
                    .thenApply(info -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
            case GET_OBJECT_ACL -> existing().thenCompose(info -> access.bucketAcl(bucket())
                    .thenCompose(b -> access.objectAcl(bucket(), r.key().orElse(""), b, info)))
                    .thenApply(acl -> xml(S3Acl.xml(acl)));
            case PUT_OBJECT_ACL -> existing().thenCompose(info -> access.bucketAcl(bucket())
                    .thenCompose(b -> access.objectAcl(bucket(), r.key().orElse(""), b, info).thenCompose(acl ->
                            access.putObjectAcl(bucket(), S3Access.objectName(r.key().orElse("")), b,
                                    acl.withGrants(acl.ownerId(), acl.ownerName(),
                                                    requestedGrants(body, S3Acl.owner(acl), S3Acl.owner(b)))
                                            .withVersion(info.generation(), info.lastModified().toEpochMilli())))))
                    .thenApply(v -> S3Handler.empty(HttpResponseStatus.OK));
            case GET_OBJECT_ATTRIBUTES -> new S3Versions(cache).resolve(handler.objectPath(r), S3Versions.requested(r),
                    r.resource()).thenCompose(cache::stat).thenApply(o -> o.orElseThrow(() -> new S3Exception(
                            S3Error.of(S3ErrorCode.NO_SUCH_KEY, null, r.resource())))).thenApply(info -> {
                        FullHttpResponse resp = attributes(info);
                        if (!info.versionId().isEmpty()) {
                            resp.headers().set(S3Versions.VERSION_ID_HEADER, info.versionId());
                        }
                        return resp;
                    });
            case GET_BUCKET_POLICY -> {
                handler.requireBucket(bucket());
                yield access.policyDocument(bucket()).thenApply(doc -> {
                    FullHttpResponse resp = xml(doc.orElseThrow(this::noPolicy).getBytes(StandardCharsets.UTF_8));
                    resp.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE, "application/json");
                    return resp;
                });
            }
            case PUT_BUCKET_POLICY -> {
                handler.requireBucket(bucket());
                String doc = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
                yield access.putPolicy(bucket(), doc).thenApply(v -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
            }
            case DELETE_BUCKET_POLICY -> {
                handler.requireBucket(bucket());
                yield access.deletePolicy(bucket()).thenApply(v -> S3Handler.empty(HttpResponseStatus.NO_CONTENT));
            }
            case GET_BUCKET_POLICY_STATUS -> {
                handler.requireBucket(bucket());
                yield access.policy(bucket()).thenApply(p -> xml(new XmlWriter().root("PolicyStatus")
                        .element("IsPublic", p.orElseThrow(this::noPolicy).isPublic()).end()));
            }
            default -> CompletableFuture.failedFuture(new S3Exception(S3ErrorCode.NOT_IMPLEMENTED,
                    "Operation " + r.operation() + " is not implemented"));
        };
    }

    private S3Exception noPolicy() {
        return new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_BUCKET_POLICY, null, "/" + bucket()));
    }

    private String bucket() {
        return r.bucket().orElse("");
    }

    private static <T> CompletableFuture<T> done(T v) {
        return CompletableFuture.completedFuture(v);
    }

    private static FullHttpResponse xml(XmlWriter w) {
        return S3Handler.xml(HttpResponseStatus.OK, w.toBytes());
    }

    private static FullHttpResponse xml(byte[] body) {
        return S3Handler.xml(HttpResponseStatus.OK, body);
    }

    /** The object the request names; {@code 404 NoSuchKey} when there is none. */
    private CompletableFuture<ObjectInfo> existing() {
        NamespacePath path = handler.objectPath(r);
        return cache.stat(path).thenApply(o -> o.orElseThrow(() -> new S3Exception(S3Error.of(S3ErrorCode.NO_SUCH_KEY,
                null, r.resource()))));
    }

    // ------------------------------------------------------------------ versioning

    private static final Pattern STATUS = Pattern.compile("<Status>\\s*([A-Za-z]*)\\s*</Status>");

    /**
     * PutBucketVersioning: {@code Enabled} or {@code Suspended}, stored with the bucket (its
     * AccessControl record); once set, a bucket is versioned for good (S3 has no way back either).
     */
    private CompletableFuture<FullHttpResponse> putVersioning(byte[] body) {
        handler.requireBucket(bucket());
        String text = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
        Matcher m = STATUS.matcher(text);
        if (!text.contains("VersioningConfiguration")) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML, null);
        }
        if (text.contains("<MfaDelete>Enabled")) {
            throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "MFA delete is not implemented by wcache");
        }
        if (!m.find()) {
            return done(S3Handler.empty(HttpResponseStatus.OK)); // nothing to change
        }
        String status = m.group(1);
        if (!status.equals("Enabled") && !status.equals("Suspended")) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML, null);
        }
        return access.bucketAcl(bucket()).thenCompose(acl -> acl.versioning().equals(status) ? done((Void) null)
                : access.putBucketAcl(bucket(), acl.withVersioning(status)))
                .thenApply(v -> S3Handler.empty(HttpResponseStatus.OK));
    }

    private CompletableFuture<FullHttpResponse> listVersions() {
        handler.requireBucket(bucket());
        ListParams p = r.list().orElseThrow();
        if (io.wcache.core.path.ObjectVersions.isReservedKey(p.prefix())
                || p.prefix().startsWith(io.wcache.core.path.ObjectVersions.RESERVED_SEGMENT + "/")) {
            return access.bucketAcl(bucket()).thenApply(acl -> xml(versions(p,
                    new ListResult(List.of(), List.of(), Optional.empty()), S3Acl.owner(acl))));
        }
        S3Versions versions = new S3Versions(cache);
        return access.bucketAcl(bucket()).thenCompose(acl -> acl.versioning().isEmpty() && p.maxKeys() > 0
                ? versions.anyArchived(bucket(), p.prefix()).thenCompose(any -> any
                        ? versions.list(bucket(), p, S3Acl.owner(acl)).thenApply(S3SubResources::xml)
                        : unversionedList(p))
                : p.maxKeys() == 0 ? unversionedList(p)
                : versions.list(bucket(), p, S3Acl.owner(acl)).thenApply(S3SubResources::xml));
    }

    /** ListObjectVersions of a bucket without archived versions: every object as its null version. */
    private CompletableFuture<FullHttpResponse> unversionedList(ListParams p) {
        NamespacePath mount = NamespacePath.of("/" + bucket());
        String after = p.marker().orElse("");
        if (p.delimiter().isPresent() && !after.isEmpty() && after.startsWith(p.prefix())
                && after.endsWith(p.delimiter().get())) {
            after = after + "\uffff";
        }
        if (p.maxKeys() == 0) {
            return access.bucketAcl(bucket()).thenApply(acl -> xml(versions(p,
                    new ListResult(List.of(), List.of(), Optional.empty()), S3Acl.owner(acl))));
        }
        return cache.list(S3Handler.listQuery(mount, p, after, Optional.empty()))
                .thenCombine(access.bucketAcl(bucket()), (l, acl) -> xml(versions(p, l, S3Acl.owner(acl))));
    }

    private byte[] versions(ListParams p, ListResult l, S3User owner) {
        UnaryOperator<String> enc = p.urlEncoded() ? S3XmlWriter::encodeKey : UnaryOperator.identity();
        boolean truncated = l.continuation().isPresent();
        String last = null;
        for (ObjectInfo o : l.objects()) {
            last = max(last, o.path().relativeToMount());
        }
        for (String cp : l.commonPrefixes()) {
            last = max(last, cp);
        }
        XmlWriter w = new XmlWriter().root("ListVersionsResult").element("Name", bucket())
                .element("Prefix", enc.apply(p.prefix()))
                .element("KeyMarker", enc.apply(p.marker().orElse("")))
                .element("VersionIdMarker", p.continuationToken().orElse(""));
        if (truncated && last != null) {
            w.element("NextKeyMarker", enc.apply(last)).element("NextVersionIdMarker", "null");
        }
        w.element("MaxKeys", p.maxKeys());
        p.delimiter().ifPresent(d -> w.element("Delimiter", enc.apply(d)));
        if (p.urlEncoded()) {
            w.element("EncodingType", "url");
        }
        w.element("IsTruncated", truncated);
        for (ObjectInfo o : l.objects()) {
            w.start("Version").element("Key", enc.apply(o.path().relativeToMount())).element("VersionId", "null")
                    .element("IsLatest", true).element("LastModified", S3Timestamps.iso8601(o.lastModified()))
                    .element("ETag", S3Handler.quote(o.etag())).element("Size", o.size())
                    .element("StorageClass", "STANDARD");
            w.start("Owner").element("ID", owner.id()).element("DisplayName", owner.displayName()).end();
            w.end();
        }
        for (String cp : l.commonPrefixes()) {
            w.start("CommonPrefixes").element("Prefix", enc.apply(cp)).end();
        }
        return w.end().toBytes();
    }

    private static String max(String a, String b) {
        return a == null || NamespacePath.compareCodePoints(b, a) > 0 ? b : a;
    }

    // ------------------------------------------------------------------ ACLs

    /**
     * The grants a PutBucketAcl or PutObjectAcl asks for: its AccessControlPolicy body, else its
     * {@code x-amz-acl} or {@code x-amz-grant-*} headers; a request with neither is {@code MissingSecurityHeader}.
     */
    private List<io.wcache.core.cache.AccessControl.Grant> requestedGrants(byte[] body, S3User owner,
                                                                            S3User bucketOwner) {
        boolean hasBody = body != null && body.length > 0;
        if (hasBody && S3Acl.named(r.headers())) {
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST, "This request does not support content");
        }
        if (hasBody) {
            return S3Acl.fromBody(S3XmlParser.parseAccessControlPolicy(body), access.users());
        }
        if (!S3Acl.named(r.headers())) {
            throw new S3Exception(S3ErrorCode.MISSING_SECURITY_HEADER, "Your request was missing a required header:"
                    + " an AccessControlPolicy body, x-amz-acl or x-amz-grant-*");
        }
        return S3Acl.fromHeaders(r.headers(), owner, bucketOwner, access.users());
    }

    // ------------------------------------------------------------------ ownership controls

    private boolean isOwnershipControls() {
        return r.query().has("ownershipControls");
    }

    private static final Pattern OWNERSHIP = Pattern.compile("<ObjectOwnership>\\s*([A-Za-z]*)\\s*</ObjectOwnership>");
    private static final Set<String> OWNERSHIPS = Set.of("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter");

    private CompletableFuture<FullHttpResponse> getOwnershipControls() {
        handler.requireBucket(bucket());
        return access.bucketAcl(bucket()).thenApply(acl -> {
            if (acl.objectOwnership().isEmpty()) {
                throw new S3Exception(S3Error.of(S3ErrorCode.OWNERSHIP_CONTROLS_NOT_FOUND, null, "/" + bucket()));
            }
            return xml(new XmlWriter().root("OwnershipControls").start("Rule")
                    .element("ObjectOwnership", acl.objectOwnership()).end().end());
        });
    }

    /** PutBucketOwnershipControls: the setting is kept (BucketOwnerEnforced makes the bucket owner own new objects). */
    private CompletableFuture<FullHttpResponse> putOwnershipControls(byte[] body) {
        handler.requireBucket(bucket());
        String text = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
        Matcher m = OWNERSHIP.matcher(text);
        if (!text.contains("OwnershipControls") || !m.find()) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML, null);
        }
        if (!OWNERSHIPS.contains(m.group(1))) {
            throw new S3Exception(S3ErrorCode.MALFORMED_XML, "Unknown ObjectOwnership '" + m.group(1) + "'");
        }
        String ownership = m.group(1);
        return access.bucketAcl(bucket()).thenCompose(acl -> access.putBucketAcl(bucket(),
                acl.withObjectOwnership(ownership))).thenApply(v -> S3Handler.empty(HttpResponseStatus.OK));
    }

    // ------------------------------------------------------------------ bucket configurations

    private CompletableFuture<FullHttpResponse> bucketConfig() {
        handler.requireBucket(bucket());
        String which = r.query().values().keySet().stream().filter(S3RequestParser.BUCKET_CONFIGS::contains)
                .findFirst().orElse("");
        S3ErrorCode none = switch (which) {
            case "policy", "policyStatus" -> S3ErrorCode.NO_SUCH_BUCKET_POLICY;
            case "cors" -> S3ErrorCode.NO_SUCH_CORS_CONFIGURATION;
            case "lifecycle" -> S3ErrorCode.NO_SUCH_LIFECYCLE_CONFIGURATION;
            case "encryption" -> S3ErrorCode.SERVER_SIDE_ENCRYPTION_CONFIGURATION_NOT_FOUND;
            case "tagging" -> S3ErrorCode.NO_SUCH_TAG_SET;
            case "website" -> S3ErrorCode.NO_SUCH_WEBSITE_CONFIGURATION;
            case "replication" -> S3ErrorCode.REPLICATION_CONFIGURATION_NOT_FOUND;
            case "object-lock" -> S3ErrorCode.OBJECT_LOCK_CONFIGURATION_NOT_FOUND;
            case "ownershipControls" -> S3ErrorCode.OWNERSHIP_CONTROLS_NOT_FOUND;
            case "publicAccessBlock" -> S3ErrorCode.NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION;
            default -> null;
        };
        if (none != null) {
            throw new S3Exception(S3Error.of(none, null, "/" + bucket()));
        }
        XmlWriter w = switch (which) {
            case "logging" -> new XmlWriter().root("BucketLoggingStatus").end();
            case "notification" -> new XmlWriter().root("NotificationConfiguration").end();
            case "requestPayment" -> new XmlWriter().root("RequestPaymentConfiguration")
                    .element("Payer", "BucketOwner").end();
            case "accelerate" -> new XmlWriter().root("AccelerateConfiguration").end();
            default -> throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "?" + which + " is not implemented");
        };
        return done(xml(w));
    }

    // ------------------------------------------------------------------ attributes

    /** GetObjectAttributes: the attributes named in {@code x-amz-object-attributes} that wcache keeps. */
    private FullHttpResponse attributes(ObjectInfo info) {
        // SDKs send the list as one comma-separated value or as one header line per attribute
        String asked = String.join(",", r.headers().getAll("x-amz-object-attributes"));
        if (asked == null || asked.isBlank()) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing"
                            + " or empty");
        }
        Set<String> want = new LinkedHashSet<>();
        for (String a : asked.split(",")) {
            String t = a.trim();
            if (!Set.of("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize").contains(t)) {
                throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid attribute name specified: " + t);
            }
            want.add(t);
        }
        XmlWriter w = new XmlWriter().root("GetObjectAttributesOutput");
        if (want.contains("ETag")) {
            w.element("ETag", info.etag());
        }
        if (want.contains("Checksum") && info.checksum().isPresent()) {
            var c = info.checksum().get();
            w.start("Checksum");
            S3XmlWriter.checksumElement(w, c);
            w.element("ChecksumType", c.type()).end();
        }
        if (want.contains("ObjectParts") && !info.partSizes().isEmpty()) {
            List<Long> parts = info.partSizes();
            int max = intParam("x-amz-max-parts", 1000);
            int marker = intParam("x-amz-part-number-marker", 0);
            List<Integer> shown = new ArrayList<>();
            for (int i = marker; i < parts.size() && shown.size() < max; i++) {
                shown.add(i + 1);
            }
            boolean truncated = !shown.isEmpty() && shown.get(shown.size() - 1) < parts.size();
            w.start("ObjectParts").element("PartsCount", parts.size())
                    .element("PartNumberMarker", marker)
                    .element("NextPartNumberMarker", shown.isEmpty() ? marker : shown.get(shown.size() - 1))
                    .element("MaxParts", max).element("IsTruncated", truncated);
            for (int n : shown) {
                w.start("Part").element("PartNumber", n).element("Size", parts.get(n - 1));
                List<String> sums = info.partChecksums();
                if (info.checksum().isPresent() && n <= sums.size() && !sums.get(n - 1).isEmpty()) {
                    w.element("Checksum" + info.checksum().get().algorithm(), sums.get(n - 1));
                }
                w.end();
            }
            w.end();
        }
        if (want.contains("StorageClass")) {
            w.element("StorageClass", "STANDARD");
        }
        if (want.contains("ObjectSize")) {
            w.element("ObjectSize", info.size());
        }
        FullHttpResponse resp = S3Handler.xml(HttpResponseStatus.OK, w.end().toBytes());
        resp.headers().set(HttpHeaderNames.LAST_MODIFIED, S3Timestamps.rfc1123(info.lastModified()));
        return resp;
    }

    private int intParam(String header, int dflt) {
        String v = r.headers().get(header);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        if (!v.trim().matches("\\d{1,5}")) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid " + header + ": " + v.trim());
        }
        return Integer.parseInt(v.trim());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
