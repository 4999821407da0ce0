package io.wcache.s3.checksum;

/**
 * Combines the CRCs of two consecutive byte strings into the CRC of their concatenation without
 * reading the bytes again: {@code crc(A || B) = crc(A) * x^(8 * len(B)) mod P  xor  crc(B)}, for the
 * reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME: init and xorout all ones, which cancel out of
 * that identity). Multiplication is carry-less modulo the polynomial, in the reflected bit order
 * (bit {@code width - 1} is {@code x^0}), as zlib's {@code crc32_combine}. A full-object checksum
 * of a multipart upload is the combination of its parts' CRCs, in order.
 */
public final class CrcCombine {
    private CrcCombine() {
    }

    /**
     * @param crc1  the CRC of the first string (the low {@code width} bits)
     * @param crc2  the CRC of the second string
     * @param len2  the second string's length in bytes
     * @param poly  the reflected polynomial ({@code 0xEDB88320} for CRC32)
     * @param width 32 or 64
     * @return the CRC of the concatenation
     */
    public static long combine(long crc1, long crc2, long len2, long poly, int width) {
        if (width != 32 && width != 64) {
            throw new IllegalArgumentException("width must be 32 or 64: " + width);
        }
        if (len2 < 0) {
            throw new IllegalArgumentException("negative length " + len2);
        }
        long mask = width == 64 ? -1L : 0xFFFF_FFFFL;
        return (multiply(xPower8n(len2, poly, width), crc1 & mask, poly, width) ^ crc2) & mask;
    }

    /** {@code x^(8n) mod P}. */
    private static long xPower8n(long n, long poly, int width) {
        long one = 1L << (width - 1);
        long square = one >>> 8; // x^8: the power for one byte, squared for each further bit of n
        long p = one;
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multiply(square, p, poly, width);
            }
            square = multiply(square, square, poly, width);
            n >>>= 1;
        }
        return p;
    }

    /** {@code a * b mod P}, reflected. */
    private static long multiply(long a, long b, long poly, int width) {
        long m = 1L << (width - 1);
        long p = 0;
        while (m != 0) {
            if ((a & m) != 0) {
                p ^= b;
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ poly : b >>> 1;
        }
        return p;
    }
}
