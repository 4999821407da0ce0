package io.wcache.pipeline;

import io.wcache.logstore.Location;
import io.wcache.schema.catalog.Extent;

/**
 * Maps log-store {@link Location}s to Catalog {@link Extent}s and back. The Extent record has no
 * field for the cache directory, so its {@code segment} packs the directory index into the top 16
 * bits and the segment id (unique across the store's directories) into the low 48.
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
