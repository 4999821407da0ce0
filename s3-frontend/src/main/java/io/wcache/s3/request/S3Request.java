package io.wcache.s3.request;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.core.cache.StandardHeaders;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A parsed S3 request: the operation, the addressed bucket and key (decoded), and every
 * parameter the operation needs, validated. It is built by {@link S3RequestParser} before
 * authentication; the raw path, query and headers are kept because SigV4 signs them as sent.
 *
 * @param method            the HTTP method, upper case
 * @param rawPath           the path as sent, still percent-encoded
 * @param rawQuery          the query as sent (without {@code ?}), {@code ""} when absent
 * @param headers           the request headers as received
 * @param operation         the S3 operation
 * @param bucket            the bucket, empty for ListBuckets
 * @param key               the object key, empty for service and bucket operations
 * @param query             the decoded query parameters
 * @param list              listing parameters, for the list operations
 * @param range             the {@code Range} of a GET, when valid
 * @param conditions        {@code If-*} preconditions
 * @param copySource        the source of a copy or part copy
 * @param copySourceRange   {@code x-amz-copy-source-range} of a part copy
 * @param copySourceConditions {@code x-amz-copy-source-if-*} preconditions
 * @param replaceMetadata   CopyObject with {@code x-amz-metadata-directive: REPLACE}
 * @param userMetadata      decoded {@code x-amz-meta-*}
 * @param contentType       {@code Content-Type}
 * @param contentMd5        the 16-byte {@code Content-MD5}, base64 as sent
 * @param contentLength     {@code Content-Length} (for aws-chunked bodies, the encoded length)
 * @param decodedContentLength {@code x-amz-decoded-content-length} of an aws-chunked body
 * @param awsChunked        whether the body is {@code aws-chunked} encoded
 * @param partNumber        {@code partNumber} (1..10000) of UploadPart or a part GET/HEAD
 * @param uploadId          {@code uploadId} of the multipart operations
 * @param cannedAcl         {@code x-amz-acl}, accepted and otherwise ignored
 */
public record S3Request(
        String method,
        String rawPath,
        String rawQuery,
        HttpHeaders headers,
        S3Operation operation,
        Optional<String> bucket,
        Optional<String> key,
        QueryParams query,
        Optional<ListParams> list,
        Optional<ByteRange> range,
        Conditions conditions,
        Optional<CopySource> copySource,
        Optional<ByteRange.Closed> copySourceRange,
        Conditions copySourceConditions,
        boolean replaceMetadata,
        Map<String, String> userMetadata,
        Optional<String> contentType,
        Optional<String> contentMd5,
        OptionalLong contentLength,
        OptionalLong decodedContentLength,
        boolean awsChunked,
        OptionalInt partNumber,
        Optional<String> uploadId,
        Optional<String> cannedAcl) {

    public S3Request {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(operation, "operation");
        userMetadata = Map.copyOf(userMetadata);
    }

    /** The resource for error documents: {@code /bucket/key}, {@code /bucket} or {@code /}. */
    public String resource() {
        return "/" + bucket.orElse("") + key.map(k -> "/" + k).orElse("");
    }

    /**
     * What the request is about, for {@link io.wcache.s3.error.S3ErrorTable}: bucket operations,
     * operations on an upload id, conditional object operations, or plain object operations.
     */
    public io.wcache.s3.error.ErrorContext errorContext() {
        return switch (operation) {
            case LIST_BUCKETS, HEAD_BUCKET, CREATE_BUCKET, DELETE_BUCKET, GET_BUCKET_LOCATION, LIST_OBJECTS,
                    LIST_OBJECTS_V2, LIST_MULTIPART_UPLOADS, DELETE_OBJECTS -> io.wcache.s3.error.ErrorContext.BUCKET;
            case UPLOAD_PART, UPLOAD_PART_COPY, COMPLETE_MULTIPART_UPLOAD, ABORT_MULTIPART_UPLOAD, LIST_PARTS ->
                    io.wcache.s3.error.ErrorContext.MULTIPART_UPLOAD;
            default -> conditions.isEmpty() && copySourceConditions.isEmpty()
                    ? io.wcache.s3.error.ErrorContext.OBJECT : io.wcache.s3.error.ErrorContext.CONDITIONAL_OBJECT;
        };
    }

    /**
     * The response headers a GET or HEAD asks to override ({@code response-content-type},
     * {@code response-content-disposition}, ...), by header name.
     */
    public Map<String, String> responseHeaderOverrides() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String[] p : RESPONSE_OVERRIDES) {
            query.first(p[0]).ifPresent(v -> out.put(p[1], v));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static final String[][] RESPONSE_OVERRIDES = {
        {"response-content-type", "Content-Type"},
        {"response-content-language", "Content-Language"},
        {"response-expires", "Expires"},
        {"response-cache-control", "Cache-Control"},
        {"response-content-disposition", "Content-Disposition"},
        {"response-content-encoding", "Content-Encoding"},
    };

    /**
     * The {@code Content-Encoding} to store with the object: the header without the transfer-only
     * {@code aws-chunked} token; empty when nothing remains.
     */
    public Optional<String> storedContentEncoding() {
        String v = headers.get("Content-Encoding");
        if (v == null) {
            return Optional.empty();
        }
        // As S3: the value is kept verbatim ("deflate, gzip" stays so); only an aws-chunked token goes.
        List<String> tokens = java.util.Arrays.stream(v.split(",")).map(String::trim).toList();
        String kept = tokens.stream().noneMatch(t -> t.equalsIgnoreCase("aws-chunked")) ? v.trim()
                : tokens.stream().filter(t -> !t.isEmpty() && !t.equalsIgnoreCase("aws-chunked"))
                        .collect(java.util.stream.Collectors.joining(", "));
        return kept.isEmpty() ? Optional.empty() : Optional.of(kept);
    }

    /**
     * The standard headers to store with the object ({@code Cache-Control}, {@code Content-Disposition},
     * {@code Content-Encoding} without {@code aws-chunked}, {@code Content-Language}, {@code Expires}),
     * keyed in lower case as {@link StandardHeaders} expects. Values are kept as sent (Expires too,
     * even when it is not a date, as S3 does); a value with raw non-ASCII bytes is stored as one RFC
     * 2047 encoded-word, as user metadata is, so the UFS (an S3 store) accepts it.
     */
    public Map<String, String> standardHeaders() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String name : StandardHeaders.NAMES) {
            String v = name.equals(StandardHeaders.CONTENT_ENCODING) ? storedContentEncoding().orElse(null)
                    : headers.get(name);
            if (v == null || v.isBlank()) {
                continue;
            }
            String trimmed = v.trim();
            boolean ascii = trimmed.chars().allMatch(c -> c < 0x7f);
            out.put(name, ascii ? trimmed : UserMetadata.encodeValue(UserMetadata.decodeValue(trimmed)));
        }
        return out;
    }

    /** The length of the object payload: the decoded length for aws-chunked bodies, else Content-Length. */
    public OptionalLong payloadLength() {
        return awsChunked ? decodedContentLength : contentLength;
    }
}
