package io.wcache.logstore;

import io.netty.buffer.ByteBuf;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.space.PinnedReservation;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One payload to append: the file and offset it belongs to, its bytes, and the pinned
 * reservation it consumes (none for evictable data). The bytes stay owned by the caller: the
 * store reads them without moving their positions and never releases a {@link ByteBuf}; direct
 * buffers are written to the file without a copy through the heap. The payload's CRC32C may be
 * given ({@link #crc32c()}), else the store computes it.
 */
public record Chunk(long fileId, long fileOffset, ByteBuffer[] payload, PinnedReservation reservation, long crc32c) {

    /** {@link #crc32c()} of a chunk whose payload CRC the store computes as it writes it. */
    public static final long CRC_UNKNOWN = -1;

    /** A chunk whose payload CRC the store computes. */
    public Chunk(long fileId, long fileOffset, ByteBuffer[] payload, PinnedReservation reservation) {
        this(fileId, fileOffset, payload, reservation, CRC_UNKNOWN);
    }

    /**
     * {@code crc32c}: the payload's CRC32C as the caller took it when the bytes were handed over, or
     * {@link #CRC_UNKNOWN}. A known CRC goes into the record header as it is (the store does not read
     * the payload a second time for it), so bytes that changed after it was taken fail every read of
     * the record instead of being served.
     */
    public Chunk {
        if (crc32c != CRC_UNKNOWN && (crc32c < 0 || crc32c > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("not a CRC32C: " + crc32c);
        }
        Objects.requireNonNull(payload, "payload");
        long length = 0;
        for (ByteBuffer b : payload) {
            length += Objects.requireNonNull(b, "payload buffer").remaining();
        }
        if (length > io.wcache.logstore.segment.SegmentFormat.MAX_PAYLOAD) {
            throw new WcacheException.InvalidArgument("file " + fileId,
                    "chunk of " + length + " bytes exceeds the record limit of "
                            + io.wcache.logstore.segment.SegmentFormat.MAX_PAYLOAD);
        }
        if (fileOffset < 0) {
            throw new WcacheException.InvalidArgument("file " + fileId, "negative file offset " + fileOffset);
        }
    }

    /** Unpersisted data, consuming {@code reservation}. */
    public static Chunk pinned(PinnedReservation reservation, long fileId, long fileOffset, ByteBuffer payload) {
        return new Chunk(fileId, fileOffset, new ByteBuffer[] {payload}, Objects.requireNonNull(reservation, "reservation"));
    }

    /** Unpersisted data from a Netty buffer (its readable bytes), consuming {@code reservation}. */
    public static Chunk pinned(PinnedReservation reservation, long fileId, long fileOffset, ByteBuf payload) {
        return new Chunk(fileId, fileOffset, nio(payload), Objects.requireNonNull(reservation, "reservation"));
    }

    /** Persisted or UFS-loaded data. */
    public static Chunk evictable(long fileId, long fileOffset, ByteBuffer payload) {
        return new Chunk(fileId, fileOffset, new ByteBuffer[] {payload}, null);
    }

    /** Persisted or UFS-loaded data from a Netty buffer (its readable bytes). */
    public static Chunk evictable(long fileId, long fileOffset, ByteBuf payload) {
        return new Chunk(fileId, fileOffset, nio(payload), null);
    }

    /** The region this chunk lands in. */
    public Region region() {
        return reservation == null ? Region.EVICTABLE : Region.PINNED;
    }

    /** Payload length in bytes. */
    public int length() {
        long length = 0;
        for (ByteBuffer b : payload) {
            length += b.remaining();
        }
        return (int) length;
    }

    private static ByteBuffer[] nio(ByteBuf buf) {
        // nioBuffers() shares the content (no copy for direct or composite-of-direct buffers) and
        // has independent positions, so the caller's reader index is untouched.
        return buf.nioBufferCount() == 1
                ? new ByteBuffer[] {buf.nioBuffer()}
                : buf.nioBuffers();
    }
}
