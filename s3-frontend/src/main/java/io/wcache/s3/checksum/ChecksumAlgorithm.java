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
    CRC32("crc32", 4),
    CRC32C("crc32c", 4),
    CRC64NVME("crc64nvme", 8),
    SHA1("sha1", 20),
    SHA256("sha256", 32);

    private final String id;
    private final int length;

    ChecksumAlgorithm(String id, int length) {
        this.id = id;
        this.length = length;
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
