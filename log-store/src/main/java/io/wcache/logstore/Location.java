package io.wcache.logstore;

import io.wcache.core.error.WcacheException;
import java.nio.ByteBuffer;

/**
 * Where one record lives: a cache directory (its index in {@link LogStoreConfig#dirs()}), a
 * segment, the position of the record's header in that segment file, and the payload length.
 * It is what {@link LogStore} appends return and what its reads take; the Catalog stores it in an
 * Extent record, packed with {@link #toBytes()}.
 */
public record Location(int dir, long segmentId, long position, int length) {

    /** Size of the packed form. */
    public static final int PACKED_SIZE = 24;

    public Location {
        if (dir < 0 || segmentId < 0 || position < 0 || length < 0) {
            throw new WcacheException.InvalidArgument(null,
                    "invalid location dir=" + dir + " segment=" + segmentId + " position=" + position + " length=" + length);
        }
    }

    /** Packs this location into 24 big-endian bytes: dir (4), segment id (8), position (8), length (4). */
    public byte[] toBytes() {
        return ByteBuffer.allocate(PACKED_SIZE).putInt(dir).putLong(segmentId).putLong(position).putInt(length).array();
    }

    /** The inverse of {@link #toBytes()}; rejects anything that is not 24 bytes of a valid location. */
    public static Location fromBytes(byte[] packed) {
        if (packed == null || packed.length != PACKED_SIZE) {
            throw new WcacheException.InvalidArgument(null, "a packed location is " + PACKED_SIZE + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(packed);
        return new Location(b.getInt(), b.getLong(), b.getLong(), b.getInt());
    }

    @Override
    public String toString() {
        return "dir" + dir + "/" + String.format("%016x", segmentId) + "@" + position + "+" + length;
    }
}
