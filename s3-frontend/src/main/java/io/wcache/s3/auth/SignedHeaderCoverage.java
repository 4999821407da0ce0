package io.wcache.s3.auth;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The rule that a SigV4 signature covers every header that changes what a request does: an
 * {@code x-amz-*} header or {@code Content-MD5} that is present but not among the signed headers
 * is refused, as S3 refuses it. Without it a URL presigned for a PUT, sent with an added
 * {@code x-amz-copy-source}, becomes a CopyObject of any object the key may read; a captured
 * header-signed request could be replayed with other metadata, ACLs or conditions.
 *
 * <p>The AWS SDKs, awscli and boto3 sign every header they send except {@code User-Agent},
 * {@code Expect}, {@code X-Amzn-Trace-Id} and hop-by-hop headers, so their requests (including
 * aws-chunked ones with {@code x-amz-decoded-content-length}, {@code x-amz-trailer} and
 * {@code x-amz-sdk-checksum-algorithm}) pass. Trailers of an aws-chunked body are not headers:
 * they are covered by the trailer signature. {@code x-amz-*} query parameters of a presigned URL
 * are part of the canonical query, hence signed.
 */
final class SignedHeaderCoverage {
    /** S3's message for this refusal. */
    static final String MESSAGE = "There were headers present in the request which were not signed";

    private SignedHeaderCoverage() {
    }

    /**
     * @param signedHeaders lower-case header names the signature covers
     * @throws S3Exception {@code 403 AccessDenied} naming S3's reason when a header is not covered
     */
    static void check(HttpHeaders headers, Collection<String> signedHeaders, String resource) {
        TreeSet<String> unsigned = unsigned(headers, signedHeaders);
        if (!unsigned.isEmpty()) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ACCESS_DENIED, MESSAGE, resource));
        }
    }

    /** The lower-case names of the headers that must be signed and are not. */
    static TreeSet<String> unsigned(HttpHeaders headers, Collection<String> signedHeaders) {
        TreeSet<String> out = new TreeSet<>();
        for (Map.Entry<String, String> e : headers) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (mustBeSigned(name) && !signedHeaders.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    static boolean mustBeSigned(String lowerName) {
        return lowerName.startsWith("x-amz-") || lowerName.equals("content-md5");
    }
}
