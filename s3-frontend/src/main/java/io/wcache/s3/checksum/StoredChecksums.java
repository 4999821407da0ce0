package io.wcache.s3.checksum;

import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The flexible checksums wcache stores with objects and parts, as S3 asks for and returns them:
 * the algorithm and type of a multipart upload ({@code x-amz-checksum-algorithm},
 * {@code x-amz-checksum-type}), the checksum of a completed upload (a checksum of the parts'
 * checksums, {@code COMPOSITE}, or the CRC of the whole combined from the parts' CRCs,
 * {@code FULL_OBJECT}), and the response headers of a read in checksum mode.
 */
public final class StoredChecksums {
    /** The header that asks GET/HEAD for the stored checksum. */
    public static final String MODE_HEADER = "x-amz-checksum-mode";
    public static final String TYPE_HEADER = "x-amz-checksum-type";
    public static final String ALGORITHM_HEADER = "x-amz-checksum-algorithm";

    private StoredChecksums() {
    }

    /** The stored form of a verified payload's checksum (a single PUT or part is always a whole-body checksum). */
    public static ObjectChecksum of(ChecksumValue v) {
        return ObjectChecksum.fullObject(v.algorithm().s3Name(), v.base64());
    }

    /** The algorithm of a stored checksum. */
    public static ChecksumAlgorithm algorithm(ObjectChecksum c) {
        return ChecksumAlgorithm.fromS3Name(c.algorithm()).orElseThrow(() ->
                new IllegalStateException("stored checksum algorithm " + c.algorithm() + " is unknown"));
    }

    /** Whether a GET/HEAD asked for checksums ({@code x-amz-checksum-mode: ENABLED}). */
    public static boolean modeEnabled(HttpHeaders h) {
        String v = h.get(MODE_HEADER);
        return v != null && v.trim().equalsIgnoreCase("ENABLED");
    }

    /** Sets {@code x-amz-checksum-<algorithm>} to {@code value} and {@code x-amz-checksum-type}. */
    public static void setHeaders(HttpHeaders h, ObjectChecksum c, String value) {
        h.set(algorithm(c).headerName(), value);
        h.set(TYPE_HEADER, c.type());
    }

    /**
     * The checksum algorithm and type of a CreateMultipartUpload, if it names one. The type
     * defaults as on S3: {@code FULL_OBJECT} for CRC64NVME (which has no composite form),
     * {@code COMPOSITE} for the others.
     *
     * @throws S3Exception {@code InvalidRequest} for an unknown algorithm or type, a type without
     *                     an algorithm, or a type the algorithm cannot have
     */
    public static Optional<ObjectChecksum> forUpload(HttpHeaders h) {
        String alg = h.get(ALGORITHM_HEADER);
        String type = h.get(TYPE_HEADER);
        if (alg == null || alg.isBlank()) {
            if (type != null && !type.isBlank()) {
                throw invalid("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm"
                        + " header.");
            }
            return Optional.empty();
        }
        ChecksumAlgorithm a = ChecksumAlgorithm.fromS3Name(alg).orElseThrow(() ->
                invalid("Checksum algorithm provided is unsupported. Please try again with any of the valid types:"
                        + " [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
        String t;
        if (type == null || type.isBlank()) {
            t = a.compositeAllowed() ? ObjectChecksum.COMPOSITE : ObjectChecksum.FULL_OBJECT;
        } else {
            t = type.trim().toUpperCase(Locale.ROOT);
            if (!t.equals(ObjectChecksum.COMPOSITE) && !t.equals(ObjectChecksum.FULL_OBJECT)) {
                throw invalid("Value for x-amz-checksum-type header is invalid.");
            }
            if (t.equals(ObjectChecksum.COMPOSITE) && !a.compositeAllowed()
                    || t.equals(ObjectChecksum.FULL_OBJECT) && !a.combinable()) {
                throw invalid("The " + t + " checksum type cannot be used with the " + a.id() + " checksum algorithm.");
            }
        }
        return Optional.of(new ObjectChecksum(a.s3Name(), t, ""));
    }

    /**
     * The checksum of a completed upload of {@code upload}'s algorithm and type from its parts'
     * checksums (base64) and sizes, in order: for {@code COMPOSITE}, the checksum of the
     * concatenated decoded part checksums followed by {@code -<parts>}; for {@code FULL_OBJECT},
     * the parts' CRCs combined into the CRC of the whole object.
     */
    public static ObjectChecksum complete(ObjectChecksum upload, List<String> partValues, List<Long> partSizes) {
        ChecksumAlgorithm a = algorithm(upload);
        Base64.Decoder dec = Base64.getDecoder();
        byte[] out;
        if (upload.composite()) {
            IncrementalChecksum c = a.newChecksum();
            for (String v : partValues) {
                c.update(java.nio.ByteBuffer.wrap(dec.decode(v)));
            }
            out = c.finish();
            return new ObjectChecksum(a.s3Name(), ObjectChecksum.COMPOSITE,
                    Base64.getEncoder().encodeToString(out) + "-" + partValues.size());
        }
        out = dec.decode(partValues.get(0));
        for (int i = 1; i < partValues.size(); i++) {
            out = a.combine(out, dec.decode(partValues.get(i)), partSizes.get(i));
        }
        return ObjectChecksum.fullObject(a.s3Name(), Base64.getEncoder().encodeToString(out));
    }

    private static S3Exception invalid(String message) {
        return new S3Exception(S3ErrorCode.INVALID_REQUEST, message);
    }
}
