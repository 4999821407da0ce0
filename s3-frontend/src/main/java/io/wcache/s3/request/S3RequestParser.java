package io.wcache.s3.request;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.core.cache.MultipartParts;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.error.S3ErrorTable;
import io.wcache.s3.xml.S3Timestamps;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Turns an HTTP request line and headers into an {@link S3Request}: bucket and key from
 * path-style ({@code /bucket/key}) or virtual-host ({@code bucket.<service-host>/key})
 * addressing, the operation from method and sub-resources, and every parameter validated.
 * It is stateless and thread-safe; one instance serves a whole server.
 */
public final class S3RequestParser {
    /** Sub-resources of real S3 that wcache does not implement; requests naming them get 501. */
    private static final Set<String> UNSUPPORTED_SUBRESOURCES = Set.of(
            "acl", "policy", "policyStatus", "versioning", "lifecycle", "cors", "tagging", "website", "logging",
            "notification", "replication", "encryption", "object-lock", "retention", "legal-hold", "torrent",
            "attributes", "restore", "select", "versions", "analytics", "metrics", "inventory",
            "intelligent-tiering", "accelerate", "requestPayment", "ownershipControls", "publicAccessBlock",
            "renameObject");

    /** Bucket configurations wcache does not keep: GET answers their "none" (mostly a 404 NoSuch...), DELETE 204. */
    public static final Set<String> BUCKET_CONFIGS = Set.of("policy", "policyStatus", "cors", "lifecycle", "encryption",
            "tagging", "website", "logging", "notification", "replication", "object-lock", "ownershipControls",
            "publicAccessBlock", "requestPayment", "accelerate");

    private final Set<String> serviceHosts;

    /**
     * @param serviceHosts the host names clients use for this endpoint (e.g. {@code s3.local}); a
     *                     request to {@code bucket.s3.local} is virtual-host addressed. Any other host
     *                     (including IP addresses) means path-style addressing.
     */
    public S3RequestParser(Set<String> serviceHosts) {
        this.serviceHosts = serviceHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(
                java.util.stream.Collectors.toUnmodifiableSet());
    }

    /**
     * Parses a request.
     *
     * @param method  the HTTP method
     * @param uri     the request target as sent ({@code /path?query}, still encoded)
     * @param headers the request headers
     * @throws S3Exception with the S3 error to send when the request is malformed or unsupported
     */
    public S3Request parse(String method, String uri, HttpHeaders headers) {
        String m = method.toUpperCase(Locale.ROOT);
        String target = stripAbsoluteForm(uri);
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        String rawQuery = q < 0 ? "" : target.substring(q + 1);
        if (!rawPath.startsWith("/")) {
            throw new S3Exception(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI.");
        }
        QueryParams query = QueryParams.parse(rawQuery);
        Addressed at = address(rawPath, headers);
        if (m.equals("OPTIONS")) {
            // A CORS preflight: wcache keeps no CORS configuration. As S3: 400 without an Origin, 403 with one.
            if (headers.get("Origin") == null) {
                throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                        "Insufficient information. Origin request header needed.");
            }
            throw new S3Exception(S3ErrorCode.ACCESS_DENIED, "CORSResponse: CORS is not enabled for this bucket.");
        }
        if (at.bucket().isEmpty() && at.key().isPresent()) {
            throw new S3Exception(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI: empty bucket name.");
        }

        S3Operation op = operation(m, at.bucket().isPresent(), at.key().isPresent(), query, headers);
        if (op == S3Operation.CREATE_BUCKET) {
            checkBucketName(at.bucket().orElse(""));
        }
        Optional<ListParams> list = listParams(op, query);
        Optional<ByteRange> range = (op == S3Operation.GET_OBJECT || op == S3Operation.HEAD_OBJECT)
                ? ByteRange.parseHeader(headers.get(HttpHeaderNames.RANGE)) : Optional.empty();
        Conditions conditions = conditions(headers, "");
        Copy copy = copy(op, headers);
        OptionalInt partNumber = query.has("partNumber")
                ? OptionalInt.of(parsePartNumber(query.first("partNumber").orElse(""))) : OptionalInt.empty();
        Payload payload = payload(op, headers);

        return new S3Request(m, rawPath, rawQuery, headers, op, at.bucket(), at.key(), query, list, range,
                conditions, copy.source(), copy.range(), copy.conditions(), copy.replaceMetadata(),
                op.hasObjectPayload() || op == S3Operation.COPY_OBJECT || op == S3Operation.CREATE_MULTIPART_UPLOAD
                        ? UserMetadata.fromHeaders(headers) : java.util.Map.of(),
                Optional.ofNullable(headers.get(HttpHeaderNames.CONTENT_TYPE)),
                contentMd5(headers.get("Content-MD5")),
                payload.contentLength(), payload.decodedLength(), payload.awsChunked(), partNumber,
                query.first("uploadId"), Optional.ofNullable(headers.get("x-amz-acl")));
    }

    /** The bucket and key a request names, each empty when absent. */
    private record Addressed(Optional<String> bucket, Optional<String> key) {
    }

    /**
     * Bucket and key from a virtual-host {@code Host} or, failing that, the path's first segment;
     * a key too long or holding a C1 control character is refused.
     */
    private Addressed address(String rawPath, HttpHeaders headers) {
        Optional<String> vhostBucket = virtualHostBucket(headers.get(HttpHeaderNames.HOST));
        String bucket;
        String key;
        if (vhostBucket.isPresent()) {
            bucket = vhostBucket.get();
            key = PercentCodec.decode(rawPath.substring(1), false);
        } else {
            String rest = rawPath.substring(1);
            int slash = rest.indexOf('/');
            bucket = PercentCodec.decode(slash < 0 ? rest : rest.substring(0, slash), false);
            key = slash < 0 ? "" : PercentCodec.decode(rest.substring(slash + 1), false);
        }
        checkKeyLength(key);
        if (key.chars().anyMatch(c -> c >= 0x80 && c <= 0x9f)) {
            // As S3 (ceph/s3-tests test_object_read_unreadable): a C1 control character makes the URI unparsable.
            throw new S3Exception(S3ErrorCode.INVALID_URI, "Couldn't parse the specified URI.");
        }
        return new Addressed(bucket.isEmpty() ? Optional.empty() : Optional.of(bucket),
                key.isEmpty() ? Optional.empty() : Optional.of(key));
    }

    /** The listing parameters of a listing operation. */
    private static Optional<ListParams> listParams(S3Operation op, QueryParams query) {
        return switch (op) {
            case LIST_OBJECTS, LIST_OBJECTS_V2 -> Optional.of(listParams(query, op == S3Operation.LIST_OBJECTS_V2));
            case LIST_MULTIPART_UPLOADS -> Optional.of(uploadListParams(query));
            case LIST_OBJECT_VERSIONS -> Optional.of(versionListParams(query));
            case LIST_PARTS -> Optional.of(partListParams(query));
            default -> Optional.empty();
        };
    }

    /** What CopyObject and UploadPartCopy take from {@code x-amz-copy-source*} and the metadata directive. */
    private record Copy(Optional<CopySource> source, Optional<ByteRange.Closed> range, Conditions conditions,
                        boolean replaceMetadata) {
        static final Copy NONE = new Copy(Optional.empty(), Optional.empty(), Conditions.NONE, false);
    }

    private static Copy copy(S3Operation op, HttpHeaders headers) {
        if (op != S3Operation.COPY_OBJECT && op != S3Operation.UPLOAD_PART_COPY) {
            return Copy.NONE;
        }
        CopySource source = CopySource.parse(headers.get("x-amz-copy-source"));
        Conditions conditions = conditions(headers, "x-amz-copy-source-");
        String rangeHeader = headers.get("x-amz-copy-source-range");
        Optional<ByteRange.Closed> range = rangeHeader != null && op == S3Operation.UPLOAD_PART_COPY
                ? Optional.of(ByteRange.parseCopySourceRange(rangeHeader)) : Optional.empty();
        boolean replaceMetadata = false;
        String directive = headers.get("x-amz-metadata-directive");
        if (directive != null) {
            if (directive.equalsIgnoreCase("REPLACE")) {
                replaceMetadata = true;
            } else if (!directive.equalsIgnoreCase("COPY")) {
                throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Unknown metadata directive: " + directive);
            }
        }
        return new Copy(Optional.of(source), range, conditions, replaceMetadata);
    }

    /** How the body is framed: its lengths on the wire and decoded, and whether it is aws-chunked. */
    private record Payload(OptionalLong contentLength, OptionalLong decodedLength, boolean awsChunked) {
    }

    private static Payload payload(S3Operation op, HttpHeaders headers) {
        OptionalLong contentLength = parseLength(headers.get(HttpHeaderNames.CONTENT_LENGTH), "Content-Length");
        String sha = headers.get("x-amz-content-sha256");
        String contentEncoding = headers.get(HttpHeaderNames.CONTENT_ENCODING);
        // The body is aws-chunked framed exactly when x-amz-content-sha256 names a STREAMING- mode
        // (what signs or checks the chunks). Content-Encoding's aws-chunked token is only a label,
        // removed from the stored Content-Encoding (S3Request.storedContentEncoding), as S3 does.
        boolean awsChunked = sha != null && sha.startsWith("STREAMING-");
        OptionalLong decoded = parseLength(headers.get("x-amz-decoded-content-length"), "x-amz-decoded-content-length");
        if (!awsChunked && decoded.isPresent()) {
            // A decoded length announces a framed body; without a STREAMING- mode its chunk headers
            // could not be told from data: refuse rather than store them as object bytes.
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST, "x-amz-decoded-content-length (an aws-chunked body)"
                    + " requires a STREAMING-* x-amz-content-sha256 value");
        }
        boolean httpChunked = headers.containsValue(HttpHeaderNames.TRANSFER_ENCODING, "chunked", true);
        if (op.hasObjectPayload()) {
            if (contentLength.isEmpty() && !httpChunked) {
                throw new S3Exception(S3ErrorCode.MISSING_CONTENT_LENGTH, null);
            }
            if (awsChunked && decoded.isEmpty()) {
                throw new S3Exception(S3ErrorCode.MISSING_CONTENT_LENGTH,
                        "You must provide the x-amz-decoded-content-length header with an aws-chunked body.");
            }
        }
        return new Payload(contentLength, decoded, awsChunked);
    }

    /**
     * Refuses keys longer than S3's 1024 UTF-8 bytes.
     *
     * @throws S3Exception {@code KeyTooLongError}
     */
    public static void checkKeyLength(String key) {
        if (key.length() > S3ErrorTable.MAX_KEY_BYTES / 3
                && key.getBytes(StandardCharsets.UTF_8).length > S3ErrorTable.MAX_KEY_BYTES) {
            throw new S3Exception(S3ErrorCode.KEY_TOO_LONG, "Your key is too long");
        }
    }

    private static S3Operation operation(String m, boolean hasBucket, boolean hasKey, QueryParams q, HttpHeaders h) {
        boolean subresource = q.values().keySet().stream().anyMatch(UNSUPPORTED_SUBRESOURCES::contains);
        if (!hasBucket) {
            if (m.equals("GET")) {
                return S3Operation.LIST_BUCKETS;
            }
            throw methodNotAllowed(m);
        }
        if (!hasKey) {
            boolean config = q.values().keySet().stream().anyMatch(BUCKET_CONFIGS::contains);
            return switch (m) {
                case "GET" -> q.has("uploads") ? S3Operation.LIST_MULTIPART_UPLOADS
                        : q.has("location") ? S3Operation.GET_BUCKET_LOCATION
                        : q.has("versions") ? S3Operation.LIST_OBJECT_VERSIONS
                        : q.has("versioning") ? S3Operation.GET_BUCKET_VERSIONING
                        : q.has("acl") ? S3Operation.GET_BUCKET_ACL
                        : q.has("policy") ? S3Operation.GET_BUCKET_POLICY
                        : q.has("policyStatus") ? S3Operation.GET_BUCKET_POLICY_STATUS
                        : config ? S3Operation.GET_BUCKET_CONFIG
                        : subresource ? S3Operation.NOT_IMPLEMENTED
                        : "2".equals(q.first("list-type").orElse(null)) ? S3Operation.LIST_OBJECTS_V2
                        : S3Operation.LIST_OBJECTS;
                case "HEAD" -> S3Operation.HEAD_BUCKET;
                case "PUT" -> q.has("acl") ? S3Operation.PUT_BUCKET_ACL
                        : q.has("versioning") ? S3Operation.PUT_BUCKET_VERSIONING
                        : q.has("ownershipControls") ? S3Operation.PUT_BUCKET_CONFIG
                        : q.has("policy") ? S3Operation.PUT_BUCKET_POLICY
                        : subresource ? S3Operation.NOT_IMPLEMENTED : S3Operation.CREATE_BUCKET;
                case "DELETE" -> q.has("policy") ? S3Operation.DELETE_BUCKET_POLICY
                        : config ? S3Operation.DELETE_BUCKET_CONFIG
                        : subresource ? S3Operation.NOT_IMPLEMENTED : S3Operation.DELETE_BUCKET;
                case "POST" -> q.has("delete") ? S3Operation.DELETE_OBJECTS : S3Operation.NOT_IMPLEMENTED;
                default -> throw methodNotAllowed(m);
            };
        }
        boolean copy = h.contains("x-amz-copy-source");
        return switch (m) {
            case "GET" -> q.has("tagging") ? S3Operation.GET_OBJECT_TAGGING
                    : q.has("acl") ? S3Operation.GET_OBJECT_ACL
                    : q.has("attributes") ? S3Operation.GET_OBJECT_ATTRIBUTES
                    : subresource ? S3Operation.NOT_IMPLEMENTED
                    : q.has("uploadId") ? S3Operation.LIST_PARTS : S3Operation.GET_OBJECT;
            case "HEAD" -> S3Operation.HEAD_OBJECT;
            case "PUT" -> {
                if (q.has("tagging")) {
                    yield S3Operation.PUT_OBJECT_TAGGING;
                }
                if (q.has("acl")) {
                    yield S3Operation.PUT_OBJECT_ACL;
                }
                if (subresource) {
                    yield S3Operation.NOT_IMPLEMENTED;
                }
                if (q.has("partNumber") || q.has("uploadId")) {
                    if (!q.has("partNumber") || !q.has("uploadId")) {
                        throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                                "UploadPart requires both partNumber and uploadId");
                    }
                    yield copy ? S3Operation.UPLOAD_PART_COPY : S3Operation.UPLOAD_PART;
                }
                yield copy ? S3Operation.COPY_OBJECT : S3Operation.PUT_OBJECT;
            }
            case "POST" -> q.has("uploads") ? S3Operation.CREATE_MULTIPART_UPLOAD
                    : q.has("uploadId") ? S3Operation.COMPLETE_MULTIPART_UPLOAD
                    : S3Operation.NOT_IMPLEMENTED;
            case "DELETE" -> q.has("tagging") ? S3Operation.DELETE_OBJECT_TAGGING
                    : subresource ? S3Operation.NOT_IMPLEMENTED
                    : q.has("uploadId") ? S3Operation.ABORT_MULTIPART_UPLOAD : S3Operation.DELETE_OBJECT;
            default -> throw methodNotAllowed(m);
        };
    }

    private static S3Exception methodNotAllowed(String m) {
        return new S3Exception(S3ErrorCode.METHOD_NOT_ALLOWED,
                "The specified method (" + m + ") is not allowed against this resource.");
    }

    private Optional<String> virtualHostBucket(String host) {
        if (host == null || serviceHosts.isEmpty()) {
            return Optional.empty();
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            return Optional.empty();
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        for (String service : serviceHosts) {
            if (h.length() > service.length() + 1 && h.endsWith(service)
                    && h.charAt(h.length() - service.length() - 1) == '.') {
                return Optional.of(h.substring(0, h.length() - service.length() - 1));
            }
        }
        return Optional.empty();
    }

    private static String stripAbsoluteForm(String uri) {
        int scheme = uri.indexOf("://");
        if (scheme > 0 && scheme < 8 && !uri.startsWith("/")) {
            int path = uri.indexOf('/', scheme + 3);
            int query = uri.indexOf('?', scheme + 3);
            if (path < 0 || (query >= 0 && query < path)) {
                return "/" + (query < 0 ? "" : uri.substring(query));
            }
            return uri.substring(path);
        }
        return uri;
    }

    private static void checkBucketName(String b) {
        boolean ok = b.length() >= 3 && b.length() <= 63 && b.matches("[a-z0-9][a-z0-9.-]*[a-z0-9]")
                && !b.contains("..") && !b.contains("-.") && !b.contains(".-")
                && !b.matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        if (!ok) {
            throw new S3Exception(io.wcache.s3.error.S3Error.of(S3ErrorCode.INVALID_BUCKET_NAME,
                    "The specified bucket is not valid.", "/" + b));
        }
    }

    private static ListParams listParams(QueryParams q, boolean v2) {
        return new ListParams(
                q.first("prefix").orElse(""),
                q.first("delimiter").filter(d -> !d.isEmpty()),
                maxKeys(q, "max-keys"),
                v2 ? Optional.empty() : q.first("marker"),
                v2 ? q.first("continuation-token") : Optional.empty(),
                v2 ? q.first("start-after") : Optional.empty(),
                encodingUrl(q),
                v2 && "true".equalsIgnoreCase(q.first("fetch-owner").orElse("false")));
    }

    private static ListParams uploadListParams(QueryParams q) {
        return new ListParams(q.first("prefix").orElse(""), q.first("delimiter").filter(d -> !d.isEmpty()),
                maxKeys(q, "max-uploads"), q.first("key-marker"), q.first("upload-id-marker"),
                Optional.empty(), encodingUrl(q), false);
    }

    /** ListObjectVersions: {@code marker} is the key-marker, {@code continuationToken} the version-id-marker. */
    private static ListParams versionListParams(QueryParams q) {
        return new ListParams(q.first("prefix").orElse(""), q.first("delimiter").filter(d -> !d.isEmpty()),
                maxKeys(q, "max-keys"), q.first("key-marker").filter(k -> !k.isEmpty()),
                q.first("version-id-marker").filter(v -> !v.isEmpty()), Optional.empty(), encodingUrl(q), false);
    }


    private static ListParams partListParams(QueryParams q) {
        Optional<String> marker = q.first("part-number-marker");
        if (marker.isPresent() && !marker.get().matches("\\d{1,5}")) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid part-number-marker: " + marker.get());
        }
        return new ListParams("", Optional.empty(), maxKeys(q, "max-parts"), marker, Optional.empty(),
                Optional.empty(), encodingUrl(q), false);
    }

    private static boolean encodingUrl(QueryParams q) {
        Optional<String> e = q.first("encoding-type");
        if (e.isEmpty()) {
            return false;
        }
        if (!e.get().equals("url")) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid Encoding Method specified in Request");
        }
        return true;
    }

    private static int maxKeys(QueryParams q, String name) {
        Optional<String> v = q.first(name);
        if (v.isEmpty()) {
            return ListParams.MAX_KEYS;
        }
        String s = v.get().trim();
        if (!s.matches("\\d{1,10}") || Long.parseLong(s) > Integer.MAX_VALUE) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                    "Provided " + name + " not an integer or within integer range");
        }
        return Math.min(Integer.parseInt(s), ListParams.MAX_KEYS);
    }

    private static int parsePartNumber(String s) {
        if (s.matches("\\d{1,5}")) {
            int n = Integer.parseInt(s);
            if (MultipartParts.validPartNumber(n)) {
                return n;
            }
        }
        throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                "Part number must be an integer between 1 and 10000, inclusive");
    }

    private static OptionalLong parseLength(String v, String name) {
        if (v == null) {
            return OptionalLong.empty();
        }
        String s = v.trim();
        if (!s.matches("\\d{1,18}")) {
            throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT, "Invalid " + name + ": " + truncate(s));
        }
        return OptionalLong.of(Long.parseLong(s));
    }

    private static Optional<String> contentMd5(String v) {
        if (v == null) {
            return Optional.empty();
        }
        try {
            if (Base64.getDecoder().decode(v.trim()).length == 16) {
                return Optional.of(v.trim());
            }
        } catch (IllegalArgumentException e) {
            // fall through to the typed error
        }
        throw new S3Exception(S3ErrorCode.INVALID_DIGEST, null);
    }

    private static Conditions conditions(HttpHeaders h, String prefix) {
        List<String> ifMatch = Conditions.parseEtagList(h.get(prefix + "if-match"));
        List<String> ifNoneMatch = Conditions.parseEtagList(h.get(prefix + "if-none-match"));
        Optional<java.time.Instant> ims = S3Timestamps.parseHttpDate(h.get(prefix + "if-modified-since"));
        Optional<java.time.Instant> ius = S3Timestamps.parseHttpDate(h.get(prefix + "if-unmodified-since"));
        if (ifMatch.isEmpty() && ifNoneMatch.isEmpty() && ims.isEmpty() && ius.isEmpty()) {
            return Conditions.NONE;
        }
        return new Conditions(ifMatch, ifNoneMatch, ims, ius);
    }

    private static String truncate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
