package io.wcache.logstore.segment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The on-disk layout of a segment file: a fixed 32-byte segment header followed by records,
 * each a record header and its payload. All integers are little-endian; every CRC is CRC32C.
 * The layout table lives in the module README; this class is its single encoder and decoder.
 *
 * <p>Format version 2 (written since the resynchronising scanner) gives every record header a
 * sync marker and a CRC of its own, separate from the payload CRC: a header that checks out can be
 * trusted to frame its record even when the payload is damaged, and after a damaged header a scan
 * finds the next record by searching for the marker. Version 1 segments (28-byte headers, one CRC
 * over header and payload) are still read; the store never appends to them.
 */
public final class SegmentFormat {

    /** "WCSG" read as a little-endian int. */
    public static final int MAGIC = 0x47534357;
    /** The version new segments are written in. */
    public static final short VERSION = 2;
    /** The first format: no record sync marker, one CRC over header and payload. Read, never written. */
    public static final short VERSION_1 = 1;

    public static final int SEGMENT_HEADER_SIZE = 32;
    static final int SH_MAGIC = 0;
    static final int SH_VERSION = 4;
    static final int SH_SEGMENT_ID = 8;
    static final int SH_CREATED = 16;
    static final int SH_CRC = 28;

    /** Record header size of the current version. */
    public static final int RECORD_HEADER_SIZE = 40;
    /** "WCRD" read as a little-endian int: the first four bytes of every version 2 record. */
    public static final int RECORD_MAGIC = 0x44524357;
    static final int RH_MAGIC = 0;
    static final int RH_LENGTH = 4;
    static final int RH_TYPE = 8;
    static final int RH_FLAGS = 9;
    static final int RH_PAYLOAD_CRC = 12;
    static final int RH_FILE_ID = 16;
    static final int RH_FILE_OFFSET = 24;
    static final int RH_HEADER_CRC = 36;

    /** Record header size of version 1. */
    public static final int RECORD_HEADER_SIZE_V1 = 28;
    static final int V1_LENGTH = 0;
    static final int V1_TYPE = 4;
    static final int V1_FLAGS = 5;
    static final int V1_FILE_ID = 8;
    static final int V1_FILE_OFFSET = 16;
    static final int V1_CRC = 24;

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

    /** Whether this module can read segments of {@code version}. */
    public static boolean readable(int version) {
        return version == VERSION || version == VERSION_1;
    }

    /** Record header size of segments of {@code version}. */
    public static int recordHeaderSize(int version) {
        return version == VERSION_1 ? RECORD_HEADER_SIZE_V1 : RECORD_HEADER_SIZE;
    }

    /** Bytes a record with this payload length occupies on disk in a segment of the current version. */
    public static long frameSize(long payloadLength) {
        return RECORD_HEADER_SIZE + payloadLength;
    }

    /** Bytes a record with this payload length occupies in a segment of {@code version}. */
    public static long frameSize(int version, long payloadLength) {
        return recordHeaderSize(version) + payloadLength;
    }

    /** Writes a segment header of the current version into {@code dst} at index 0 (little-endian, CRC last). */
    public static void encodeSegmentHeader(ByteBuffer dst, long segmentId, long createdMillis) {
        encodeSegmentHeader(dst, segmentId, createdMillis, VERSION);
    }

    /** Writes a segment header of {@code version} (tests write version 1 to check it stays readable). */
    public static void encodeSegmentHeader(ByteBuffer dst, long segmentId, long createdMillis, short version) {
        UnsafeBuffer b = new UnsafeBuffer(dst);
        b.setMemory(0, SEGMENT_HEADER_SIZE, (byte) 0);
        b.putInt(SH_MAGIC, MAGIC, ByteOrder.LITTLE_ENDIAN);
        b.putShort(SH_VERSION, version, ByteOrder.LITTLE_ENDIAN);
        b.putLong(SH_SEGMENT_ID, segmentId, ByteOrder.LITTLE_ENDIAN);
        b.putLong(SH_CREATED, createdMillis, ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(dst.duplicate().position(0).limit(SH_CRC));
        b.putInt(SH_CRC, (int) crc.getValue(), ByteOrder.LITTLE_ENDIAN);
    }

    /** A decoded segment header. */
    public record SegmentHeader(long segmentId, short version) {
    }

    /**
     * Decodes a segment header, or returns null when the magic or CRC does not match or the
     * version is not one this module reads (a torn or foreign header).
     */
    public static SegmentHeader decodeSegmentHeader(ByteBuffer src) {
        if (src.remaining() < SEGMENT_HEADER_SIZE) {
            return null;
        }
        ByteBuffer h = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = h.position();
        short version = h.getShort(base + SH_VERSION);
        if (h.getInt(base + SH_MAGIC) != MAGIC || !readable(version)) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().position(base).limit(base + SH_CRC));
        if ((int) crc.getValue() != h.getInt(base + SH_CRC)) {
            return null;
        }
        return new SegmentHeader(h.getLong(base + SH_SEGMENT_ID), version);
    }

    /**
     * Fills the current-version record header held by {@code header} (a 40-byte buffer starting at
     * index 0, written through the reusable {@code view}): the payload CRC over the payload buffers,
     * then the header CRC over the header's first 36 bytes. Payload positions are not moved.
     */
    public static void encodeRecordHeader(ByteBuffer header, UnsafeBuffer view, byte type, byte flags, long fileId,
                                          long fileOffset, int length, ByteBuffer[] payload, CRC32C crc) {
        encodeRecordHeader(header, view, type, flags, fileId, fileOffset, length, payload, -1, crc);
    }

    /**
     * As above, with the payload's CRC32C already known ({@code payloadCrc32c}, or -1 to compute it
     * from {@code payload}).
     */
    public static void encodeRecordHeader(ByteBuffer header, UnsafeBuffer view, byte type, byte flags, long fileId,
                                          long fileOffset, int length, ByteBuffer[] payload, long payloadCrc32c,
                                          CRC32C crc) {
        int payloadCrc;
        if (payloadCrc32c >= 0) {
            payloadCrc = (int) payloadCrc32c;
        } else {
            crc.reset();
            if (payload != null) {
                for (ByteBuffer p : payload) {
                    crc.update(p.duplicate());
                }
            }
            payloadCrc = (int) crc.getValue();
        }
        view.wrap(header, 0, RECORD_HEADER_SIZE);
        view.putInt(RH_MAGIC, RECORD_MAGIC, ByteOrder.LITTLE_ENDIAN);
        view.putInt(RH_LENGTH, length, ByteOrder.LITTLE_ENDIAN);
        view.putByte(RH_TYPE, type);
        view.putByte(RH_FLAGS, flags);
        view.putShort(RH_FLAGS + 1, (short) 0, ByteOrder.LITTLE_ENDIAN);
        view.putInt(RH_PAYLOAD_CRC, payloadCrc, ByteOrder.LITTLE_ENDIAN);
        view.putLong(RH_FILE_ID, fileId, ByteOrder.LITTLE_ENDIAN);
        view.putLong(RH_FILE_OFFSET, fileOffset, ByteOrder.LITTLE_ENDIAN);
        view.putInt(RH_HEADER_CRC - 4, 0, ByteOrder.LITTLE_ENDIAN);
        crc.reset();
        crc.update(header.duplicate().position(0).limit(RH_HEADER_CRC));
        view.putInt(RH_HEADER_CRC, (int) crc.getValue(), ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes a version 1 record header (28 bytes at index 0, one CRC over the first 24 header bytes
     * and the payload). Only tests write version 1, to prove old segments stay readable.
     */
    public static void encodeRecordHeaderV1(ByteBuffer header, byte type, byte flags, long fileId, long fileOffset,
                                            int length, ByteBuffer payload) {
        ByteBuffer h = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(V1_LENGTH, length);
        h.put(V1_TYPE, type);
        h.put(V1_FLAGS, flags);
        h.putShort(V1_FLAGS + 1, (short) 0);
        h.putLong(V1_FILE_ID, fileId);
        h.putLong(V1_FILE_OFFSET, fileOffset);
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().position(0).limit(V1_CRC));
        if (payload != null) {
            crc.update(payload.duplicate());
        }
        h.putInt(V1_CRC, (int) crc.getValue());
    }

    /**
     * A decoded record header. {@code crc} is the CRC the payload check must reproduce (see
     * {@link #startPayloadCrc}); {@code headerValid} says whether the header's own check passed
     * (version 1 headers have none, so they count as valid and only the whole-record CRC decides).
     */
    public record RecordHeader(int version, int length, byte type, byte flags, long fileId, long fileOffset, int crc,
                               boolean headerValid) {

        /** Decodes the header of a segment of {@code version} at {@code src}'s position without moving it. */
        public static RecordHeader decode(int version, ByteBuffer src) {
            ByteBuffer h = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int p = h.position();
            if (version == VERSION_1) {
                return new RecordHeader(version, h.getInt(p + V1_LENGTH), h.get(p + V1_TYPE), h.get(p + V1_FLAGS),
                        h.getLong(p + V1_FILE_ID), h.getLong(p + V1_FILE_OFFSET), h.getInt(p + V1_CRC), true);
            }
            CRC32C crc = new CRC32C();
            crc.update(h.duplicate().position(p).limit(p + RH_HEADER_CRC));
            boolean valid = h.getInt(p + RH_MAGIC) == RECORD_MAGIC && (int) crc.getValue() == h.getInt(p + RH_HEADER_CRC);
            return new RecordHeader(version, h.getInt(p + RH_LENGTH), h.get(p + RH_TYPE), h.get(p + RH_FLAGS),
                    h.getLong(p + RH_FILE_ID), h.getLong(p + RH_FILE_OFFSET), h.getInt(p + RH_PAYLOAD_CRC), valid);
        }

        /** Whether the header checks out and describes a data or seal record of a possible length. */
        public boolean plausible() {
            return headerValid && (type == TYPE_DATA || type == TYPE_SEAL) && length >= 0 && length <= MAX_PAYLOAD;
        }

        /**
         * Starts the CRC the payload is checked against: version 1 covers the header bytes before
         * its CRC field (at {@code src}'s position), version 2 the payload alone.
         */
        public void startPayloadCrc(CRC32C crc, ByteBuffer src) {
            crc.reset();
            if (version == VERSION_1) {
                ByteBuffer h = src.duplicate();
                h.limit(h.position() + V1_CRC);
                crc.update(h);
            }
        }
    }
}
