package io.wcache.logstore.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Walks the records of a segment file from its header, verifying each record's framing and
 * CRC32C. A damaged record costs only itself: in a version 2 segment a record whose header checks
 * out but whose payload fails its CRC is skipped by its (trusted) length, and after a header that
 * fails its own CRC the scan resynchronises on the next position holding a valid record header
 * (sync marker, header CRC, sane type and length). Damaged ranges are returned, not cut. Only a
 * torn tail is cut: fewer bytes than a record header, a valid header whose payload runs past the
 * end of the file, or a tail of zeros. A version 1 segment has no sync marker, so its scan stops at
 * the first torn or corrupt record as it always did. The scanner never trusts a length field
 * before checking it against the file size, so garbage cannot make it allocate or read past the end.
 */
public final class SegmentScanner {

    /** Why a scan stopped. */
    public enum Stop {
        /** The valid records (and any skipped damaged ones) end exactly at the end of the file. */
        END,
        /** The file ends with a seal record (all earlier bytes were forced before it was written). */
        SEALED,
        /** A write cut short: the tail from {@code validEnd} is not a whole record and holds none. */
        TORN,
        /** Version 1 only: a record failed its framing or checksum check and the scan stopped there. */
        CORRUPT
    }

    /** One valid data record found by a scan. */
    public record ScannedRecord(long position, int length, long fileId, long fileOffset, byte flags) {
    }

    /**
     * A damaged byte range that is kept, not cut: [{@code position}, {@code end}). With
     * {@code headerIntact} the range is exactly one record whose payload failed its CRC (its file
     * id and offset are known); otherwise the bytes could not be framed.
     */
    public record DamagedRange(long position, long end, boolean headerIntact, long fileId, long fileOffset) {
    }

    /**
     * Where the kept bytes end (the file is cut there), why the scan stopped, how many valid data
     * records it found and which damaged ranges before {@code validEnd} it skipped.
     */
    public record Result(long validEnd, Stop stop, int records, List<DamagedRange> damaged) {
        public Result {
            damaged = List.copyOf(damaged);
        }
    }

    private static final int CHUNK = 1 << 20;

    private SegmentScanner() {
    }

    /**
     * Scans {@code channel} (of {@code fileSize} bytes, a header of {@code version} already
     * validated) and hands each valid data record to {@code sink}.
     */
    public static Result scan(FileChannel channel, long segmentId, int version, long fileSize,
                              Consumer<ScannedRecord> sink) throws IOException {
        int headerSize = SegmentFormat.recordHeaderSize(version);
        ByteBuffer header = ByteBuffer.allocate(headerSize).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        CRC32C crc = new CRC32C();
        List<DamagedRange> damaged = new ArrayList<>();
        long pos = SegmentFormat.SEGMENT_HEADER_SIZE;
        int records = 0;
        while (pos < fileSize) {
            if (fileSize - pos < headerSize) {
                return torn(channel, pos, fileSize, records, damaged, version);
            }
            header.clear();
            readFully(channel, header, pos);
            header.flip();
            SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(version, header);
            if (!h.plausible()) {
                if (version == SegmentFormat.VERSION_1) {
                    return new Result(pos, Stop.CORRUPT, records, damaged);
                }
                long next = findNextHeader(channel, pos + 1, fileSize);
                if (next < 0) {
                    return torn(channel, pos, fileSize, records, damaged, version);
                }
                damaged.add(new DamagedRange(pos, next, false, -1, -1));
                pos = next;
                continue;
            }
            long end = pos + headerSize + h.length();
            if (end > fileSize) {
                if (version == SegmentFormat.VERSION_1) {
                    return new Result(pos, Stop.TORN, records, damaged);
                }
                // A header that checks out but whose payload runs past the end is the torn last write,
                // unless a valid record follows (then this header lies: keep and skip the bytes).
                long next = findNextHeader(channel, pos + 1, fileSize);
                if (next < 0) {
                    return new Result(pos, Stop.TORN, records, damaged);
                }
                damaged.add(new DamagedRange(pos, next, false, -1, -1));
                pos = next;
                continue;
            }
            if (!payloadMatches(channel, header, h, pos + headerSize, end, chunk, crc)) {
                if (version == SegmentFormat.VERSION_1) {
                    return new Result(pos, Stop.CORRUPT, records, damaged);
                }
                // The header is intact, so the length is right: skip exactly this record.
                damaged.add(new DamagedRange(pos, end, true, h.fileId(), h.fileOffset()));
                pos = end;
                continue;
            }
            if (h.type() == SegmentFormat.TYPE_SEAL) {
                boolean valid = h.length() == 0 && h.fileId() == segmentId && h.fileOffset() == pos;
                if (valid && end == fileSize) {
                    return new Result(end, Stop.SEALED, records, damaged);
                }
                if (version == SegmentFormat.VERSION_1) {
                    return new Result(pos, Stop.CORRUPT, records, damaged);
                }
                // A seal that is not the last record (or names another place) vouches for nothing: step over it.
                damaged.add(new DamagedRange(pos, end, true, h.fileId(), h.fileOffset()));
                pos = end;
                continue;
            }
            sink.accept(new ScannedRecord(pos, h.length(), h.fileId(), h.fileOffset(), h.flags()));
            records++;
            pos = end;
        }
        return new Result(pos, Stop.END, records, damaged);
    }

    /**
     * Whether the payload in {@code [from, end)} matches the CRC32C of header {@code h} (read in
     * pieces of {@link #CHUNK} into {@code chunk}).
     */
    private static boolean payloadMatches(FileChannel channel, ByteBuffer header, SegmentFormat.RecordHeader h,
                                          long from, long end, ByteBuffer chunk, CRC32C crc) throws IOException {
        h.startPayloadCrc(crc, header);
        long p = from;
        while (p < end) {
            chunk.clear().limit((int) Math.min(CHUNK, end - p));
            readFully(channel, chunk, p);
            chunk.flip();
            p += chunk.remaining();
            crc.update(chunk);
        }
        return (int) crc.getValue() == h.crc();
    }

    /**
     * The tail from {@code pos} holds no valid record. Zeros, or fewer bytes than a header, are a
     * write cut short and are cut. Other bytes (a damaged header of the last record) are kept as a
     * damaged range: nothing after them can be lost by keeping them, and they are evidence.
     */
    private static Result torn(FileChannel channel, long pos, long fileSize, int records, List<DamagedRange> damaged,
                               int version) throws IOException {
        if (version == SegmentFormat.VERSION_1 || fileSize - pos < SegmentFormat.recordHeaderSize(version)
                || allZero(channel, pos, fileSize)) {
            return new Result(pos, Stop.TORN, records, damaged);
        }
        List<DamagedRange> all = new ArrayList<>(damaged);
        all.add(new DamagedRange(pos, fileSize, false, -1, -1));
        return new Result(fileSize, Stop.END, records, all);
    }

    private static boolean allZero(FileChannel channel, long from, long to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, to - from)));
        long p = from;
        while (p < to) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - p));
            readFully(channel, buf, p);
            buf.flip();
            while (buf.hasRemaining()) {
                if (buf.get() != 0) {
                    return false;
                }
            }
            p += buf.limit();
        }
        return true;
    }

    /**
     * The first position at or after {@code from} holding a version 2 record header that checks
     * out and whose record fits in the file, or -1. Candidates are found by the sync marker; the
     * header CRC rules out payload bytes that happen to contain it.
     */
    public static long findNextHeader(FileChannel channel, long from, long fileSize) throws IOException {
        int hs = SegmentFormat.RECORD_HEADER_SIZE;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK + hs).order(ByteOrder.LITTLE_ENDIAN);
        long base = from;
        while (base + hs <= fileSize) {
            buf.clear().limit((int) Math.min(buf.capacity(), fileSize - base));
            readFully(channel, buf, base);
            buf.flip();
            int n = buf.limit();
            for (int i = 0; i + hs <= n; i++) {
                if (buf.getInt(i) != SegmentFormat.RECORD_MAGIC) {
                    continue;
                }
                SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(SegmentFormat.VERSION,
                        buf.duplicate().position(i));
                if (h.plausible() && base + i + hs + h.length() <= fileSize) {
                    return base + i;
                }
            }
            // Candidates starting in the last hs-1 bytes are re-read at the start of the next window.
            base += Math.max(1, n - hs + 1);
        }
        return -1;
    }

    /** True when the file ends with a valid seal record for this segment. */
    public static boolean endsWithSeal(FileChannel channel, long segmentId, int version, long fileSize)
            throws IOException {
        int headerSize = SegmentFormat.recordHeaderSize(version);
        long pos = fileSize - headerSize;
        if (pos < SegmentFormat.SEGMENT_HEADER_SIZE) {
            return false;
        }
        ByteBuffer header = ByteBuffer.allocate(headerSize).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, header, pos);
        header.flip();
        SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(version, header);
        if (!h.plausible() || h.type() != SegmentFormat.TYPE_SEAL || h.length() != 0 || h.fileId() != segmentId
                || h.fileOffset() != pos) {
            return false;
        }
        CRC32C crc = new CRC32C();
        h.startPayloadCrc(crc, header);
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
