package io.wcache.logstore.segment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment file: its channel, its appended size and a reference count that keeps the channel
 * open while readers use it. The store holds one reference from creation until {@link #retire};
 * a reader takes one with {@link #tryAcquire} and gives it back with {@link #release}. When the
 * count reaches zero the channel is closed, so a read that acquired before retirement reads valid
 * bytes and one that comes after is refused (as in BookKeeper's and Kafka's log segments).
 */
public final class Segment {

    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);

    private final int dir;
    private final long id;
    private final Path path;
    private final FileChannel channel;
    private final short version;
    private final AtomicInteger refs = new AtomicInteger(1);
    /** End of the last completely written record; written only by the appender holding the dir lock. */
    private volatile long size;
    private volatile boolean sealed;
    /**
     * Records written into this segment whose locations the store has not yet entered in its
     * ledger: the segment may be sealed (by the next append's roll) before they are, and until they
     * are the reclaimer would see it without them.
     */
    private final java.util.concurrent.atomic.AtomicInteger appendsInFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastAccessNanos = System.nanoTime();

    public Segment(int dir, long id, Path path, FileChannel channel, long size, boolean sealed) {
        this(dir, id, path, channel, size, sealed, SegmentFormat.VERSION);
    }

    /** A segment written in format {@code version} (old versions are read, never appended to). */
    public Segment(int dir, long id, Path path, FileChannel channel, long size, boolean sealed, short version) {
        this.version = version;
        this.dir = dir;
        this.id = id;
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.sealed = sealed;
    }

    /** The file name of segment {@code id}. */
    public static String fileName(long id) {
        return String.format("%016x.seg", id);
    }

    public int dir() {
        return dir;
    }

    public long id() {
        return id;
    }

    public Path path() {
        return path;
    }

    public FileChannel channel() {
        return channel;
    }

    /** The segment's format version ({@link SegmentFormat#VERSION} for every segment this process creates). */
    public short version() {
        return version;
    }

    /** Size of one record header in this segment. */
    public int recordHeaderSize() {
        return SegmentFormat.recordHeaderSize(version);
    }

    public long size() {
        return size;
    }

    public void setSize(long size) {
        this.size = size;
    }

    /** A record is being written here; its location is not in the ledger yet. */
    public void beginAppend() {
        appendsInFlight.incrementAndGet();
    }

    /** One of them is in the ledger now (or its append failed). */
    public void endAppend() {
        appendsInFlight.decrementAndGet();
    }

    /** Records written here whose locations are not in the ledger yet: the segment must not be reclaimed. */
    public int appendsInFlight() {
        return appendsInFlight.get();
    }

    /** True once the segment no longer takes appends (rolled, or recovered at start-up). */
    public boolean isSealed() {
        return sealed;
    }

    public void markSealed() {
        this.sealed = true;
    }

    public long lastAccessNanos() {
        return lastAccessNanos;
    }

    /** Records a use for least-recently-used eviction. */
    public void touch() {
        lastAccessNanos = System.nanoTime();
    }

    /** Takes a read reference; false when the segment has been retired and closed or is closing. */
    public boolean tryAcquire() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void release() {
        if (refs.decrementAndGet() == 0) {
            closeChannel();
        }
    }

    /**
     * Drops the store's reference. With {@code delete} the file is unlinked now (open readers keep
     * reading through their descriptor); the channel closes when the last reader releases.
     */
    public void retire(boolean delete) {
        if (delete) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("event=segment_delete_failed segment={} error={}", path, e.toString());
            }
        }
        release();
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("event=segment_close_failed segment={} error={}", path, e.toString());
        }
    }

    @Override
    public String toString() {
        return "dir" + dir + "/" + fileName(id);
    }
}
