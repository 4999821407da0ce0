package io.wcache.persister.async;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.error.WcacheException;
import io.wcache.persister.ufs.UploadSource;
import io.wcache.schema.catalog.Extent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * A committed file's bytes streamed from the log store for an upload: an {@link UploadSource} over
 * its extents (contiguous from offset 0, as the Catalog guarantees at commit). At most one slice
 * of {@link #SLICE} bytes per open stream is held in memory, so a 200 MiB object never is; every
 * stream is independent, so a multipart upload may read parts in parallel.
 */
public final class ExtentUploadSource implements UploadSource {

    /**
     * Bytes read from the log store at once. A log-store read verifies its whole record, so extents
     * up to this size are read in one go (the write path frames bodies in chunks of about 1 MiB).
     */
    static final int SLICE = 4 << 20;

    private final List<Extent> extents;
    private final long length;
    private final LocalExtents local;
    private final Optional<String> md5Hex;

    public ExtentUploadSource(List<Extent> extents, long length, LocalExtents local) {
        this(extents, length, local, Optional.empty());
    }

    /**
     * A source whose bytes have the MD5 {@code md5Hex} (the committed version's ETag, when it is one),
     * which the UFS sends for the store to check.
     */
    public ExtentUploadSource(List<Extent> extents, long length, LocalExtents local, Optional<String> md5Hex) {
        long covered = 0;
        for (Extent e : extents) {
            if (e.offset() != covered) {
                throw new WcacheException.Corruption("file " + e.fileId(), "extents are not contiguous at offset " + covered);
            }
            covered = e.end();
        }
        if (covered != length) {
            throw new WcacheException.Corruption(extents.isEmpty() ? "file" : "file " + extents.get(0).fileId(),
                    "extents cover " + covered + " bytes of a " + length + "-byte file");
        }
        this.extents = List.copyOf(extents);
        this.length = length;
        this.local = local;
        this.md5Hex = md5Hex;
    }

    @Override
    public Optional<String> md5Hex() {
        return md5Hex;
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
        return new Stream(offset, offset + len);
    }

    /** Not thread-safe, like any InputStream; each {@link #open} makes its own. */
    private final class Stream extends InputStream {
        private long pos;
        private final long end;
        private int index;
        private ByteBuffer slice = ByteBuffer.allocate(0);

        Stream(long from, long end) {
            this.pos = from;
            this.end = end;
            // Extents are few (one per ~1 MiB chunk); a linear search from the start is cheap.
            while (index < extents.size() && extents.get(index).end() <= from) {
                index++;
            }
        }

        private boolean fill() throws IOException {
            if (slice.hasRemaining()) {
                return true;
            }
            if (pos >= end) {
                return false;
            }
            while (extents.get(index).end() <= pos) {
                index++;
            }
            Extent e = extents.get(index);
            long within = pos - e.offset();
            int n = (int) Math.min(Math.min(SLICE, e.end() - pos), end - pos);
            try {
                long start = System.nanoTime();
                slice = local.read(e, within, n);
                Stages.since(Stage.UPLOAD_READ, start);
            } catch (WcacheException ex) {
                // The UFS client reports an unreadable source as Unavailable; keep the cause.
                throw new IOException("cannot read file " + e.fileId() + " at offset " + pos + ": " + ex.getMessage(), ex);
            }
            if (slice.remaining() != n) {
                throw new IOException("short read of file " + e.fileId() + " at offset " + pos);
            }
            pos += n;
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? slice.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int n) throws IOException {
            if (n == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int k = Math.min(n, slice.remaining());
            slice.get(b, off, k);
            return k;
        }

        @Override
        public int available() {
            return slice.remaining();
        }
    }
}
