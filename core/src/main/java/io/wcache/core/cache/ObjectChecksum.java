package io.wcache.core.cache;

import java.util.Objects;

/**
 * A flexible checksum stored with an object or part (S3's {@code x-amz-checksum-*}): the
 * {@code algorithm} as S3 names it ({@code CRC32}, {@code CRC32C}, {@code CRC64NVME}, {@code SHA1},
 * {@code SHA256}), the {@code type} ({@link #FULL_OBJECT}, or {@link #COMPOSITE} for a multipart
 * object whose value is the checksum of its parts' checksums), and the base64 {@code value} (a
 * composite value ends in {@code -<parts>}). The checksum a multipart upload was created with has
 * an algorithm and type but no value yet (empty).
 */
public record ObjectChecksum(String algorithm, String type, String value) {
    public static final String FULL_OBJECT = "FULL_OBJECT";
    public static final String COMPOSITE = "COMPOSITE";

    public ObjectChecksum {
        Objects.requireNonNull(algorithm, "algorithm");
        type = type == null || type.isEmpty() ? FULL_OBJECT : type;
        value = value == null ? "" : value;
    }

    /** A whole-object checksum. */
    public static ObjectChecksum fullObject(String algorithm, String value) {
        return new ObjectChecksum(algorithm, FULL_OBJECT, value);
    }

    /** Whether this is the checksum of the parts' checksums. */
    public boolean composite() {
        return COMPOSITE.equals(type);
    }
}
