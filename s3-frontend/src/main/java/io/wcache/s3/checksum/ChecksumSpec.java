package io.wcache.s3.checksum;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which flexible checksum a request asks for and where its expected value is: in an
 * {@code x-amz-checksum-*} header, in a trailer announced by {@code x-amz-trailer}, or nowhere
 * ({@code x-amz-sdk-checksum-algorithm} alone: compute it so it can be stored and returned).
 *
 * @param algorithm     the checksum
 * @param expected      the base64 value from the header, when sent as a header
 * @param inTrailer     whether the value comes in the aws-chunked trailer
 */
public record ChecksumSpec(ChecksumAlgorithm algorithm, Optional<String> expected, boolean inTrailer) {

    /**
     * Reads the checksum request from the headers.
     *
     * @throws S3Exception {@code InvalidRequest} for several checksums or an
     *                     unknown algorithm
     */
    public static Optional<ChecksumSpec> fromHeaders(HttpHeaders headers) {
        ChecksumAlgorithm headerAlg = null;
        String headerValue = null;
        for (Map.Entry<String, String> h : headers) {
            Optional<ChecksumAlgorithm> alg = ChecksumAlgorithm.fromHeaderName(h.getKey());
            if (alg.isPresent()) {
                if (headerAlg != null && headerAlg != alg.get()) {
                    throw invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
                }
                headerAlg = alg.get();
                headerValue = h.getValue().trim();
            }
        }
        ChecksumAlgorithm trailerAlg = null;
        String trailer = headers.get("x-amz-trailer");
        if (trailer != null) {
            for (String name : trailer.split(",")) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (n.isEmpty()) {
                    continue;
                }
                Optional<ChecksumAlgorithm> alg = ChecksumAlgorithm.fromHeaderName(n);
                if (alg.isEmpty()) {
                    throw invalid("The value specified in the x-amz-trailer header is not supported");
                }
                if (trailerAlg != null && trailerAlg != alg.get()) {
                    throw invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
                }
                trailerAlg = alg.get();
            }
        }
        ChecksumAlgorithm sdkAlg = null;
        String sdk = headers.get("x-amz-sdk-checksum-algorithm");
        if (sdk != null) {
            sdkAlg = ChecksumAlgorithm.fromS3Name(sdk).orElseThrow(() ->
                    invalid("Checksum algorithm provided is unsupported. Please try again with any of the valid types:"
                            + " [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
        }
        if (headerAlg != null && trailerAlg != null) {
            throw invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
        }
        ChecksumAlgorithm chosen = headerAlg != null ? headerAlg : trailerAlg;
        if (chosen != null && sdkAlg != null && sdkAlg != chosen) {
            throw invalid("Value for x-amz-sdk-checksum-algorithm header is invalid.");
        }
        if (headerAlg != null) {
            checkValue(headerAlg, headerValue);
            return Optional.of(new ChecksumSpec(headerAlg, Optional.of(headerValue), false));
        }
        if (trailerAlg != null) {
            return Optional.of(new ChecksumSpec(trailerAlg, Optional.empty(), true));
        }
        return sdkAlg == null ? Optional.empty() : Optional.of(new ChecksumSpec(sdkAlg, Optional.empty(), false));
    }

    /**
     * Refuses a value that is not the base64 of a checksum of the right length: no body can match
     * it, so it is {@code 400 BadDigest}, the answer ceph/s3-tests' {@code test_object_checksum_*}
     * expect of S3 for a value such as {@code bad} (docs/S3-COMPATIBILITY.md).
     *
     * @throws S3Exception {@code BadDigest}
     */
    public static byte[] checkValue(ChecksumAlgorithm alg, String base64) {
        try {
            byte[] b = Base64.getDecoder().decode(base64.trim());
            if (b.length == alg.length()) {
                return b;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the typed error
        }
        throw new S3Exception(S3ErrorCode.BAD_DIGEST, "Value for " + alg.headerName() + " header is invalid: it is not"
                + " the base64 of a " + alg.length() + "-byte checksum, so no body can match it.");
    }

    private static S3Exception invalid(String message) {
        return new S3Exception(S3ErrorCode.INVALID_REQUEST, message);
    }
}
