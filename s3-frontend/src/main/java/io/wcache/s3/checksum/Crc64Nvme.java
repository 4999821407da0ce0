package io.wcache.s3.checksum;

import java.nio.ByteBuffer;

/**
 * CRC-64/NVME (reflected polynomial {@code 0x9A6C9329AC4BC9B5}, init and xorout all ones), the
 * checksum S3 calls {@code CRC64NVME}. The JDK has no CRC-64, and the SDK's implementation lives
 * behind native code, so this is a plain slicing-by-8 table implementation.
 */
public final class Crc64Nvme implements IncrementalChecksum {
    private static final long POLY = 0x9A6C9329AC4BC9B5L;
    private static final long[][] TABLES = new long[8][256];

    static {
        for (int i = 0; i < 256; i++) {
            long c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            TABLES[0][i] = c;
        }
        for (int i = 0; i < 256; i++) {
            for (int t = 1; t < 8; t++) {
                long prev = TABLES[t - 1][i];
                TABLES[t][i] = (prev >>> 8) ^ TABLES[0][(int) (prev & 0xff)];
            }
        }
    }

    private long crc = ~0L;

    @Override
    public void update(ByteBuffer buf) {
        long c = crc;
        // The reflected CRC consumes bytes least significant first: read 8 bytes little-endian.
        boolean bigEndian = buf.order() == java.nio.ByteOrder.BIG_ENDIAN;
        while (buf.remaining() >= 8) {
            long raw = buf.getLong();
            long v = c ^ (bigEndian ? Long.reverseBytes(raw) : raw);
            c = TABLES[7][(int) (v & 0xff)] ^ TABLES[6][(int) ((v >>> 8) & 0xff)]
                    ^ TABLES[5][(int) ((v >>> 16) & 0xff)] ^ TABLES[4][(int) ((v >>> 24) & 0xff)]
                    ^ TABLES[3][(int) ((v >>> 32) & 0xff)] ^ TABLES[2][(int) ((v >>> 40) & 0xff)]
                    ^ TABLES[1][(int) ((v >>> 48) & 0xff)] ^ TABLES[0][(int) (v >>> 56)];
        }
        while (buf.hasRemaining()) {
            c = (c >>> 8) ^ TABLES[0][(int) ((c ^ buf.get()) & 0xff)];
        }
        crc = c;
    }

    /** The current CRC value. */
    public long value() {
        return ~crc;
    }

    @Override
    public byte[] finish() {
        return ByteBuffer.allocate(8).putLong(value()).array();
    }
}
