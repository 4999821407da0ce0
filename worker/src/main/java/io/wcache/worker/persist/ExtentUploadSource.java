package io.wcache.worker.persist;

import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.pipeline.ExtentCodec;
import io.wcache.persister.ufs.UploadSource;
import io.wcache.schema.catalog.Extent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An upload body read straight from a file version's extents in the log store, verified record by
 * record, in pieces of at most 1 MiB: an object is never held whole in memory. The extents must
 * cover {@code [0, length)} in order and stay live while the upload runs (the caller pins them).
 */
public final class ExtentUploadSource implements UploadSource {

    private static final int PIECE = 1 << 20;

    private final LogStore store;
    private final List<Extent> extents;
    private final long length;

    public ExtentUploadSource(LogStore store, List<Extent> extents, long length) {
        this.store = store;
        this.extents = List.copyOf(extents);
        this.length = length;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public InputStream open(long offset, long len) {
        if (offset < 0 || len < 0 || offset + len > length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + len + ") outside body of " + length + " bytes");
        }
        return new InputStream() {
            long pos = offset;
            final long end = offset + len;
            ByteBuffer buf = ByteBuffer.allocate(0);

            private boolean fill() throws IOException {
                if (buf.hasRemaining()) {
                    return true;
                }
                if (pos >= end) {
                    return false;
                }
                buf = ExtentReads.read(store, extents, pos, (int) Math.min(PIECE, end - pos));
                if (!buf.hasRemaining()) {
                    throw new IOException("extents end before offset " + pos);
                }
                pos += buf.remaining();
                return true;
            }

            @Override
            public int read() throws IOException {
                return fill() ? buf.get() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int n) throws IOException {
                if (n == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int k = Math.min(n, buf.remaining());
                buf.get(b, off, k);
                return k;
            }
        };
    }

    /** Locations of the extents, for moving them between regions after an upload. */
    public List<Location> locations() {
        return extents.stream().map(ExtentCodec::toLocation).toList();
    }
}
