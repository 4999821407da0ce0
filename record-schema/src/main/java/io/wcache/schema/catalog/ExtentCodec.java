package io.wcache.schema.catalog;

import io.wcache.logstore.Location;

/**
 * How a Catalog {@link Extent} records the log-store {@link Location} of its bytes, and back; the
 * write path, restart recovery, eviction and the persister all read extents through it. The
 * Extent record has no field for the cache directory, so its {@code segment} packs the directory
 * index into the top 16 bits and the segment id (unique across the store's directories) into the
 * low 48.
 */
public final class ExtentCodec {

    private static final int DIR_SHIFT = 48;
    private static final long SEGMENT_MASK = (1L << DIR_SHIFT) - 1;

    private ExtentCodec() {
    }

    public static Extent toExtent(long fileId, long offset, String worker, Location loc, long crc32c) {
        return new Extent(fileId, offset, worker, segment(loc.dir(), loc.segmentId()), loc.position(), loc.length(), crc32c);
    }

    /** The Extent {@code segment} field naming segment {@code segmentId} of cache directory {@code dir}. */
    public static long segment(int dir, long segmentId) {
        if (segmentId > SEGMENT_MASK || dir > 0x7fff) {
            throw new IllegalArgumentException("location does not fit an extent: dir" + dir + "/" + segmentId);
        }
        return ((long) dir << DIR_SHIFT) | segmentId;
    }

    public static Location toLocation(Extent e) {
        return new Location((int) (e.segment() >>> DIR_SHIFT), e.segment() & SEGMENT_MASK, e.position(),
                (int) e.length());
    }

    /** The same extent now stored at {@code to}. */
    public static Extent moved(Extent e, Location to) {
        return toExtent(e.fileId(), e.offset(), e.worker(), to, e.crc32c());
    }
}
