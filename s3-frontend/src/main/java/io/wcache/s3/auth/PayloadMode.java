package io.wcache.s3.auth;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Optional;

/**
 * How a request body is protected and framed, from its {@code x-amz-content-sha256} value.
 * The streaming modes mean the body is {@code aws-chunked}; the {@code *_TRAILER} modes carry a
 * checksum in a trailer after the last chunk.
 */
public enum PayloadMode {
    /** {@code UNSIGNED-PAYLOAD}: the body is not covered by the signature. */
    UNSIGNED(false, false, false),
    /** A hex SHA-256 of the body, checked once the body is complete. */
    SHA256(false, false, false),
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}: signed chunks. */
    STREAMING_SIGNED(true, true, false),
    /** {@code STREAMING-UNSIGNED-PAYLOAD-TRAILER}: plain chunks and a checksum trailer. */
    STREAMING_UNSIGNED_TRAILER(true, false, true),
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER}: signed chunks and a signed trailer. */
    STREAMING_SIGNED_TRAILER(true, true, true);

    private final boolean chunked;
    private final boolean signedChunks;
    private final boolean trailer;

    PayloadMode(boolean chunked, boolean signedChunks, boolean trailer) {
        this.chunked = chunked;
        this.signedChunks = signedChunks;
        this.trailer = trailer;
    }

    /** Whether the body is aws-chunked. */
    public boolean chunked() {
        return chunked;
    }

    /** Whether each chunk carries a chained signature. */
    public boolean signedChunks() {
        return signedChunks;
    }

    /** Whether trailing headers follow the final chunk. */
    public boolean trailer() {
        return trailer;
    }

    /**
     * Classifies an {@code x-amz-content-sha256} value; absent means {@link #UNSIGNED}.
     *
     * @throws S3Exception {@code InvalidArgument} for a value that is none of S3's forms,
     *                     {@code NotImplemented} for SigV4a (ECDSA) streaming
     */
    public static PayloadMode of(Optional<String> contentSha256) {
        if (contentSha256.isEmpty()) {
            return UNSIGNED;
        }
        String v = contentSha256.get();
        return switch (v) {
            case "UNSIGNED-PAYLOAD" -> UNSIGNED;
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" -> STREAMING_SIGNED;
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER" -> STREAMING_UNSIGNED_TRAILER;
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" -> STREAMING_SIGNED_TRAILER;
            default -> {
                if (v.startsWith("STREAMING-AWS4-ECDSA")) {
                    throw new S3Exception(S3ErrorCode.NOT_IMPLEMENTED, "SigV4a (ECDSA) signing is not implemented");
                }
                if (!isSha256Hex(v)) {
                    throw new S3Exception(S3ErrorCode.INVALID_ARGUMENT,
                            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
                                    + " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                                    + " or a valid sha256 value.");
                }
                yield SHA256;
            }
        };
    }

    static boolean isSha256Hex(String v) {
        if (v.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = v.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }
}
