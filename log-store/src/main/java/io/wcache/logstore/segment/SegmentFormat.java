package io.wcache.logstore.segment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The on-disk layout of a segment file: a fixed 32-byte segment header followed by records,
 * each a 28-byte record header and its payload. All integers are little-endian; every CRC is
 * CRC32C. The layout table lives in the module README; this class is its single encoder and decoder.
 */
public final class SegmentFormat {

    /** "WCSG" read as a little-endian int. */
    public static final int MAGIC = 0x47534357;
    public static final short VERSION = 1;

    public static final int SEGMENT_HEADER_SIZE = 32;
    static final int SH_MAGIC = 0;
    static final int SH_VERSION = 4;
    static final int SH_SEGMENT_ID = 8;
    static final int SH_CREATED = 16;
    static final int SH_CRC = 28;

    public static final int RECORD_HEADER_SIZE = 28;
    static final int RH_LENGTH = 0;
    static final int RH_TYPE = 4;
    static final int RH_FLAGS = 5;
    static final int RH_FILE_ID = 8;
    static final int RH_FILE_OFFSET = 16;
    static final int RH_CRC = 24;

    /** A record carrying cache data. */
    public static final byte TYPE_DATA = 1;
    /**
     * The last record of a segment that was forced before the seal was written: recovery trusts a
     * segment ending in a valid seal and does not scan it. Its file id field holds the segment id,
     * its file offset field its own position.
     */
    public static final byte TYPE_SEAL = 2;

    /** Flag bit: the record was written as pinned (unpersisted) data. Informational only. */
    public static final byte FLAG_PINNED = 1;

    /** Largest payload one record may carry. */
    public static final int MAX_PAYLOAD = 1 << 30;

    private SegmentFormat() {
    }

    /** Bytes a record with this payload length occupies on disk. */
    public static long frameSize(long payloadLength) {
        return RECORD_HEADER_SIZE + payloadLength;
    }

    /** Writes a segment header into {@code dst} at index 0 (little-endian, CRC last). */
    public static void encodeSegmentHeader(ByteBuffer dst, long segmentId, long createdMillis) {
        UnsafeBuffer b = new UnsafeBuffer(dst);
        b.setMemory(0, SEGMENT_HEADER_SIZE, (byte) 0);
        b.putInt(SH_MAGIC, MAGIC, ByteOrder.LITTLE_ENDIAN);
        b.putShort(SH_VERSION, VERSION, ByteOrder.LITTLE_ENDIAN);
        b.putLong(SH_SEGMENT_ID, segmentId, ByteOrder.LITTLE_ENDIAN);
        b.putLong(SH_CREATED, createdMillis, ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(dst.duplicate().position(0).limit(SH_CRC));
        b.putInt(SH_CRC, (int) crc.getValue(), ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Decodes a segment header, returning its segment id, or -1 when the magic, version or CRC
     * does not match (a torn or foreign header).
     */
    public static long decodeSegmentHeader(ByteBuffer src) {
        if (src.remaining() < SEGMENT_HEADER_SIZE) {
            return -1;
        }
        ByteBuffer h = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = h.position();
        if (h.getInt(base + SH_MAGIC) != MAGIC || h.getShort(base + SH_VERSION) != VERSION) {
            return -1;
        }
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().position(base).limit(base + SH_CRC));
        if ((int) crc.getValue() != h.getInt(base + SH_CRC)) {
            return -1;
        }
        return h.getLong(base + SH_SEGMENT_ID);
    }

    /**
     * Fills the record header held by {@code header} (a 28-byte buffer starting at index 0,
     * written through the reusable {@code view}) and returns the CRC32C it carries, computed over
     * the header's first 24 bytes and then the payload buffers. Payload positions are not moved.
     */
    public static int encodeRecordHeader(ByteBuffer header, UnsafeBuffer view, byte type, byte flags, long fileId,
                                         long fileOffset, int length, ByteBuffer[] payload, CRC32C crc) {
        view.wrap(header, 0, RECORD_HEADER_SIZE);
        view.putInt(RH_LENGTH, length, ByteOrder.LITTLE_ENDIAN);
        view.putByte(RH_TYPE, type);
        view.putByte(RH_FLAGS, flags);
        view.putShort(RH_FLAGS + 1, (short) 0, ByteOrder.LITTLE_ENDIAN);
        view.putLong(RH_FILE_ID, fileId, ByteOrder.LITTLE_ENDIAN);
        view.putLong(RH_FILE_OFFSET, fileOffset, ByteOrder.LITTLE_ENDIAN);
        crc.reset();
        crc.update(header.duplicate().position(0).limit(RH_CRC));
        if (payload != null) {
            for (ByteBuffer p : payload) {
                crc.update(p.duplicate());
            }
        }
        int value = (int) crc.getValue();
        view.putInt(RH_CRC, value, ByteOrder.LITTLE_ENDIAN);
        return value;
    }

    /** A decoded record header; {@code crc} covers the first 24 header bytes and the payload. */
    public record RecordHeader(int length, byte type, byte flags, long fileId, long fileOffset, int crc) {

        /** Decodes the 28 bytes at {@code src}'s position without moving it. */
        public static RecordHeader decode(ByteBuffer src) {
            ByteBuffer h = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int p = h.position();
            return new RecordHeader(h.getInt(p + RH_LENGTH), h.get(p + RH_TYPE), h.get(p + RH_FLAGS),
                    h.getLong(p + RH_FILE_ID), h.getLong(p + RH_FILE_OFFSET), h.getInt(p + RH_CRC));
        }

        /** Starts the CRC of this record: the header bytes before the CRC field. */
        public static void crcHeader(CRC32C crc, ByteBuffer src) {
            ByteBuffer h = src.duplicate();
            h.limit(h.position() + RH_CRC);
            crc.update(h);
        }
    }
}
