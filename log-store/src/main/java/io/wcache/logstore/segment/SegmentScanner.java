package io.wcache.logstore.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Walks the records of a segment file from its header, verifying each record's framing and
 * CRC32C, and stops at the first record that is torn (runs past the end of the file) or corrupt
 * (bad type, impossible length, CRC mismatch). What it returns is where the valid prefix ends;
 * recovery truncates the file there. It never trusts a length field before checking it against
 * the file size, so garbage cannot make it allocate or read past the end.
 */
public final class SegmentScanner {

    /** Why a scan stopped. */
    public enum Stop {
        /** The valid records end exactly at the end of the file. */
        END,
        /** The file ends with a seal record (all earlier bytes were forced before it was written). */
        SEALED,
        /** A record header or payload runs past the end of the file (a write cut short). */
        TORN,
        /** A record failed its framing or checksum check. */
        CORRUPT
    }

    /** One valid data record found by a scan. */
    public record ScannedRecord(long position, int length, long fileId, long fileOffset, byte flags) {
    }

    /** Where the valid prefix ends, why the scan stopped and how many data records it holds. */
    public record Result(long validEnd, Stop stop, int records) {
    }

    private static final int CHUNK = 1 << 20;

    private SegmentScanner() {
    }

    /**
     * Scans {@code channel} (of {@code fileSize} bytes, header already validated) and hands each
     * valid data record to {@code sink}.
     */
    public static Result scan(FileChannel channel, long segmentId, long fileSize, Consumer<ScannedRecord> sink)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(SegmentFormat.RECORD_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        CRC32C crc = new CRC32C();
        long pos = SegmentFormat.SEGMENT_HEADER_SIZE;
        int records = 0;
        while (pos < fileSize) {
            if (fileSize - pos < SegmentFormat.RECORD_HEADER_SIZE) {
                return new Result(pos, Stop.TORN, records);
            }
            header.clear();
            readFully(channel, header, pos);
            header.flip();
            SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(header);
            if (h.type() != SegmentFormat.TYPE_DATA && h.type() != SegmentFormat.TYPE_SEAL) {
                return new Result(pos, Stop.CORRUPT, records);
            }
            if (h.length() < 0 || h.length() > SegmentFormat.MAX_PAYLOAD) {
                return new Result(pos, Stop.CORRUPT, records);
            }
            long end = pos + SegmentFormat.RECORD_HEADER_SIZE + h.length();
            if (end > fileSize) {
                return new Result(pos, Stop.TORN, records);
            }
            crc.reset();
            SegmentFormat.RecordHeader.crcHeader(crc, header);
            long p = pos + SegmentFormat.RECORD_HEADER_SIZE;
            while (p < end) {
                chunk.clear().limit((int) Math.min(CHUNK, end - p));
                readFully(channel, chunk, p);
                chunk.flip();
                p += chunk.remaining();
                crc.update(chunk);
            }
            if ((int) crc.getValue() != h.crc()) {
                return new Result(pos, Stop.CORRUPT, records);
            }
            if (h.type() == SegmentFormat.TYPE_SEAL) {
                boolean valid = h.length() == 0 && h.fileId() == segmentId && h.fileOffset() == pos;
                if (!valid) {
                    return new Result(pos, Stop.CORRUPT, records);
                }
                return end == fileSize ? new Result(end, Stop.SEALED, records) : new Result(pos, Stop.CORRUPT, records);
            }
            sink.accept(new ScannedRecord(pos, h.length(), h.fileId(), h.fileOffset(), h.flags()));
            records++;
            pos = end;
        }
        return new Result(pos, Stop.END, records);
    }

    /** True when the file ends with a valid seal record for this segment. */
    public static boolean endsWithSeal(FileChannel channel, long segmentId, long fileSize) throws IOException {
        long pos = fileSize - SegmentFormat.RECORD_HEADER_SIZE;
        if (pos < SegmentFormat.SEGMENT_HEADER_SIZE) {
            return false;
        }
        ByteBuffer header = ByteBuffer.allocate(SegmentFormat.RECORD_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, header, pos);
        header.flip();
        SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(header);
        if (h.type() != SegmentFormat.TYPE_SEAL || h.length() != 0 || h.fileId() != segmentId || h.fileOffset() != pos) {
            return false;
        }
        CRC32C crc = new CRC32C();
        SegmentFormat.RecordHeader.crcHeader(crc, header);
        return (int) crc.getValue() == h.crc();
    }

    /** Positional read of exactly {@code dst.remaining()} bytes; EOF is an {@link java.io.EOFException}. */
    public static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long p = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, p);
            if (n < 0) {
                throw new java.io.EOFException("end of segment at " + p);
            }
            p += n;
        }
    }
}
