package io.wcache.s3.checksum;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * The flexible checksums of S3 ({@code x-amz-checksum-<name>} headers and trailers): CRC32,
 * CRC32C, CRC64NVME, SHA1, SHA256. Values travel base64-encoded, big-endian for the CRCs.
 */
public enum ChecksumAlgorithm {
    CRC32("crc32", 4, 0xEDB88320L),
    CRC32C("crc32c", 4, 0x82F63B78L),
    CRC64NVME("crc64nvme", 8, 0x9A6C9329AC4BC9B5L),
    SHA1("sha1", 20, 0),
    SHA256("sha256", 32, 0);

    private final String id;
    private final int length;
    /** The reflected polynomial of a CRC; 0 for a digest. */
    private final long poly;

    ChecksumAlgorithm(String id, int length, long poly) {
        this.id = id;
        this.length = length;
        this.poly = poly;
    }

    /** Whether the checksums of consecutive pieces combine into the whole's (the CRCs: FULL_OBJECT multipart). */
    public boolean combinable() {
        return poly != 0;
    }

    /** Whether a multipart upload may use this checksum as a checksum of part checksums (all but CRC64NVME). */
    public boolean compositeAllowed() {
        return this != CRC64NVME;
    }

    /**
     * The checksum of {@code A || B} from the checksums of {@code A} and {@code B} (big-endian as S3
     * encodes them) and the length of {@code B}; only for {@link #combinable()} algorithms.
     */
    public byte[] combine(byte[] a, byte[] b, long lengthOfB) {
        if (!combinable()) {
            throw new IllegalStateException(this + " checksums do not combine");
        }
        long c = CrcCombine.combine(toLong(a), toLong(b), lengthOfB, poly, length * 8);
        return length == 8 ? ByteBuffer.allocate(8).putLong(c).array() : ByteBuffer.allocate(4).putInt((int) c).array();
    }

    private static long toLong(byte[] v) {
        long x = 0;
        for (byte b : v) {
            x = (x << 8) | (b & 0xff);
        }
        return x;
    }

    /** The lower-case name, as in header names and S3's messages ({@code crc32c}). */
    public String id() {
        return id;
    }

    /** The header (or trailer) name, e.g. {@code x-amz-checksum-crc32c}. */
    public String headerName() {
        return "x-amz-checksum-" + id;
    }

    /** The algorithm name as in {@code x-amz-sdk-checksum-algorithm} and XML elements ({@code CRC32C}). */
    public String s3Name() {
        return name();
    }

    /** The decoded checksum length in bytes. */
    public int length() {
        return length;
    }

    /** The algorithm whose header name is {@code name} (case-insensitive). */
    public static Optional<ChecksumAlgorithm> fromHeaderName(String name) {
        String n = name.toLowerCase(Locale.ROOT).trim();
        for (ChecksumAlgorithm a : values()) {
            if (a.headerName().equals(n)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The algorithm named as in {@code x-amz-sdk-checksum-algorithm} (case-insensitive). */
    public static Optional<ChecksumAlgorithm> fromS3Name(String name) {
        for (ChecksumAlgorithm a : values()) {
            if (a.name().equalsIgnoreCase(name.trim())) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** A fresh incremental computation. */
    public IncrementalChecksum newChecksum() {
        return switch (this) {
            case CRC32 -> new JdkCrc(new CRC32());
            case CRC32C -> new JdkCrc(new CRC32C());
            case CRC64NVME -> new Crc64Nvme();
            case SHA1 -> new Digest("SHA-1");
            case SHA256 -> new Digest("SHA-256");
        };
    }

    private static final class JdkCrc implements IncrementalChecksum {
        private final Checksum crc;

        JdkCrc(Checksum crc) {
            this.crc = crc;
        }

        @Override
        public void update(ByteBuffer buf) {
            crc.update(buf);
        }

        @Override
        public byte[] finish() {
            return ByteBuffer.allocate(4).putInt((int) crc.getValue()).array();
        }
    }

    private static final class Digest implements IncrementalChecksum {
        private final MessageDigest md;

        Digest(String algorithm) {
            try {
                md = MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(algorithm + " is required by the Java platform", e);
            }
        }

        @Override
        public void update(ByteBuffer buf) {
            md.update(buf);
        }

        @Override
        public byte[] finish() {
            return md.digest();
        }
    }
}
