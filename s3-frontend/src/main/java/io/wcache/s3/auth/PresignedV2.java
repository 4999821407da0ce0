package io.wcache.s3.auth;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.S3Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Query-string authentication of Signature Version 2 ({@code AWSAccessKeyId}, {@code Expires},
 * {@code Signature}): what botocore (Debian's awscli and boto3) produces for presigned URLs with
 * default settings. Only this presigned form of V2 is accepted; V2 {@code Authorization} headers
 * are still refused (no current client sends them by default). Every {@code x-amz-*} header and
 * {@code Content-MD5} is part of the V2 string to sign, so no such header can be added unsigned;
 * {@code Expires} may be at most {@link SigV4Verifier#MAX_PRESIGN_EXPIRY} ahead, as V4's cap.
 */
final class PresignedV2 {

    /** Sub-resources that are part of the V2 canonical resource. */
    private static final Set<String> SUB_RESOURCES = Set.of("acl", "delete", "lifecycle", "location", "logging",
            "notification", "partNumber", "policy", "requestPayment", "tagging", "torrent", "uploadId", "uploads",
            "versionId", "versioning", "versions", "website", "response-content-type", "response-content-language",
            "response-expires", "response-cache-control", "response-content-disposition",
            "response-content-encoding");

    private PresignedV2() {
    }

    static AuthResult verify(S3Request request, Map<String, String> secrets, Instant now, PayloadMode payloadMode) {
        var q = request.query();
        String accessKey = q.first("AWSAccessKeyId").orElse("");
        String expires = q.first("Expires").orElseThrow(() -> new S3Exception(S3ErrorCode.ACCESS_DENIED,
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"));
        // A literal '+' in base64 may arrive unescaped; the query decoder made it a space.
        String signature = q.first("Signature").orElse("").replace(' ', '+');
        if (!expires.matches("\\d{1,12}")) {
            throw new S3Exception(S3ErrorCode.ACCESS_DENIED, "Invalid date (should be seconds since epoch): " + expires);
        }
        Instant expiresAt = Instant.ofEpochSecond(Long.parseLong(expires));
        if (expiresAt.isBefore(now)) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, "Request has expired", request.resource()));
        }
        // V2 URLs carry no signing time: the cap that V4 puts on X-Amz-Expires bounds Expires from now.
        if (expiresAt.isAfter(now.plus(SigV4Verifier.MAX_PRESIGN_EXPIRY))) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED,
                    "Expires must be at most 604800 seconds (7 days) in the future", request.resource()));
        }
        String secret = secrets.get(accessKey);
        if (secret == null) {
            throw new S3Exception(S3ErrorCode.INVALID_ACCESS_KEY_ID, null);
        }
        String expected = sign(secret, stringToSign(request, expires));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII))) {
            throw new S3Exception(S3Error.of(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH, null, request.resource()));
        }
        return new AuthResult(java.util.Optional.of(accessKey), payloadMode, java.util.Optional.empty(),
                java.util.Optional.empty());
    }

    static String stringToSign(S3Request request, String expires) {
        HttpHeaders h = request.headers();
        StringBuilder sb = new StringBuilder();
        sb.append(request.method()).append('\n')
                .append(nullToEmpty(h.get("Content-MD5"))).append('\n')
                .append(nullToEmpty(h.get("Content-Type"))).append('\n')
                .append(expires).append('\n');
        TreeMap<String, String> amz = new TreeMap<>();
        for (Map.Entry<String, String> e : h) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-amz-")) {
                amz.merge(name, e.getValue().trim(), (a, b) -> a + "," + b);
            }
        }
        amz.forEach((k, v) -> sb.append(k).append(':').append(v).append('\n'));
        String path = request.rawPath();
        String bucket = request.bucket().orElse("");
        if (!bucket.isEmpty() && !(path.equals("/" + bucket) || path.startsWith("/" + bucket + "/"))) {
            path = "/" + bucket + path;
        }
        sb.append(path);
        TreeMap<String, java.util.List<String>> subs = new TreeMap<>();
        request.query().values().forEach((k, v) -> {
            if (SUB_RESOURCES.contains(k)) {
                subs.put(k, v);
            }
        });
        char sep = '?';
        for (var e : subs.entrySet()) {
            for (String v : e.getValue()) {
                sb.append(sep).append(e.getKey());
                if (v != null && !v.isEmpty()) {
                    sb.append('=').append(v);
                }
                sep = '&';
            }
        }
        return sb.toString();
    }

    private static String sign(String secret, String stringToSign) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
