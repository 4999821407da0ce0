package io.wcache.worker.persist;

import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import java.nio.ByteBuffer;
import java.util.List;

/** Reads a byte range of a file version from its extents (sorted by offset, contiguous from 0). */
public final class ExtentReads {

    private ExtentReads() {
    }

    /**
     * Up to {@code length} bytes from {@code offset}; fewer at the end of the extents. Reads go
     * through {@code lease}, so they see the bytes even if their segment was compacted or evicted
     * after the lease was taken.
     */
    public static ByteBuffer read(LogStore.Lease lease, List<Extent> extents, long offset, int length) {
        ByteBuffer out = ByteBuffer.allocate(length);
        int i = find(extents, offset);
        long pos = offset;
        while (out.hasRemaining() && i >= 0 && i < extents.size()) {
            Extent e = extents.get(i);
            long within = pos - e.offset();
            int n = (int) Math.min(out.remaining(), e.length() - within);
            ByteBuffer slice = out.slice().limit(n);
            lease.read(ExtentCodec.toLocation(e), within, slice);
            out.position(out.position() + n);
            pos += n;
            i++;
        }
        return out.flip();
    }

    private static int find(List<Extent> extents, long offset) {
        int lo = 0;
        int hi = extents.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Extent e = extents.get(mid);
            if (offset < e.offset()) {
                hi = mid - 1;
            } else if (offset >= e.end()) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Whether the extents cover {@code [0, size)} without gaps. */
    public static boolean covers(List<Extent> extents, long size) {
        long covered = 0;
        for (Extent e : extents) {
            if (e.offset() != covered) {
                return false;
            }
            covered = e.end();
        }
        return covered == size;
    }
}
