package io.wcache.s3.request;

import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Map;

/**
 * S3's limits on what one request may ask for, checked on the head before any byte of the body
 * is accepted: an object of at most 5 TiB, a part of at most 5 GiB (both {@code EntityTooLarge});
 * response-header overrides that are valid header values and a numeric
 * {@code part-number-marker} ({@code InvalidArgument} rather than a failure while answering).
 * Bodies without a declared length are held to the same limits as they stream
 * ({@link #maxPayload}). Part numbers (1..10,000) are checked by the parser.
 */
public final class RequestLimits {
    /** The largest object S3 stores. */
    public static final long MAX_OBJECT_BYTES = 5L << 40;
    /** The largest part of a multipart upload. */
    public static final long MAX_PART_BYTES = 5L << 30;

    private RequestLimits() {
    }

    /** The most payload bytes the request may carry. */
    public static long maxPayload(S3Request r) {
        return switch (r.operation()) {
            case PUT_OBJECT -> MAX_OBJECT_BYTES;
            case UPLOAD_PART -> MAX_PART_BYTES;
            default -> Long.MAX_VALUE;
        };
    }

    /** @throws S3Exception when the head asks for more than S3 allows */
    public static void check(S3Request r) {
        long max = maxPayload(r);
        if (r.payloadLength().isPresent() && r.payloadLength().getAsLong() > max) {
            throw tooLarge(r, max);
        }
        for (Map.Entry<String, String> e : r.responseHeaderOverrides().entrySet()) {
            if (hasControlCharacter(e.getValue())) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT,
                        "The " + e.getKey() + " override contains a control character", r.resource()));
            }
        }
        r.query().first("part-number-marker").ifPresent(m -> {
            if (!m.matches("\\d{1,9}")) {
                throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_ARGUMENT,
                        "Provided part-number-marker not an integer or within integer range", r.resource()));
            }
        });
    }

    /**
     * @throws S3Exception {@code EntityTooLarge} when the parts a completion names add up to more than an
     *         object may hold: each part is within its own limit, their sum need not be
     */
    public static void checkAssembledSize(long totalBytes, String resource) {
        if (totalBytes > MAX_OBJECT_BYTES) {
            throw new S3Exception(S3Error.of(S3ErrorCode.ENTITY_TOO_LARGE, "The parts add up to " + totalBytes
                    + " bytes, more than the maximum allowed object size (" + MAX_OBJECT_BYTES + " bytes)", resource));
        }
    }

    /**
     * @throws S3Exception {@code InvalidRequest} when a CopyObject source is larger than S3 copies in one
     *         request (5 GiB); larger objects are copied with UploadPartCopy, as on S3
     */
    public static void checkCopySourceSize(long sourceBytes, String resource) {
        if (sourceBytes > MAX_PART_BYTES) {
            throw new S3Exception(S3Error.of(S3ErrorCode.INVALID_REQUEST, "The specified copy source is larger than"
                    + " the maximum allowable size for a copy source: " + MAX_PART_BYTES, resource));
        }
    }

    /** The error for a payload beyond {@code max} bytes. */
    public static S3Exception tooLarge(S3Request r, long max) {
        return new S3Exception(S3Error.of(S3ErrorCode.ENTITY_TOO_LARGE, "Your proposed upload exceeds the maximum"
                + " allowed size (" + max + " bytes " + (max == MAX_PART_BYTES ? "per part" : "per object") + ")",
                r.resource()));
    }

    private static boolean hasControlCharacter(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
