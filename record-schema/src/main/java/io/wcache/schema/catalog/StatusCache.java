package io.wcache.schema.catalog;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The paths' statuses ({@link CatalogFiles#status}) read lately, each with the read version it was
 * read at, kept while no commit since wrote what the read depended on: the path's file records,
 * its tombstone, the extent records of the version it found.
 *
 * <p>Every commit to the database is reported to {@link #committed} after it became visible and
 * before its client learns that it committed (the embedded engine's commit listener), so a write
 * acknowledged before a read began always invalidates what that read could find here. The report
 * raises, for each path and file id the commit wrote (and for everything, on a write it cannot
 * place), a stripe's "last written at" version; an entry is served only while its read version is
 * at or above its stripes'. A read racing with a commit it did not see therefore leaves an entry
 * that is never served. Stripes are shared by many paths, so a write may cost others a miss, never
 * a stale answer.
 *
 * <p>Only a database whose every commit is reported may have one: the embedded engine (one
 * process). On FoundationDB other processes commit unseen, and the Catalog reads every status.
 */
final class StatusCache {

    private static final int STRIPES = 1 << 12;

    /** A status and the version it was read at. */
    record Read(PathStatus status, long readVersion) {
    }

    private final int capacity;
    private final int evictBatch;
    private final AtomicBoolean evicting = new AtomicBoolean();
    private final ConcurrentHashMap<String, Read> entries = new ConcurrentHashMap<>();
    private final AtomicLongArray pathWrittenAt = new AtomicLongArray(STRIPES);
    private final AtomicLongArray fileWrittenAt = new AtomicLongArray(STRIPES);
    /**
     * Reads below this version are never served: commits before it were not reported, or could not
     * be placed. Until {@link #serveFrom} it is above every version, and nothing is kept.
     */
    private volatile long floor = Long.MAX_VALUE;
    private final byte[] records;
    private final byte[] recordsEnd;
    private final byte[] files;
    private final byte[] tombstones;
    private final byte[] extents;
    /** {@code {begin, end}} of the file, tombstone and extent records: what a status reads. */
    private final byte[][][] statusRanges;

    /** A cache that keeps nothing until {@link #serveFrom}; {@code recordsPrefix} is the record store's records' key prefix. */
    StatusCache(int capacity, byte[] recordsPrefix) {
        this.capacity = capacity;
        this.evictBatch = Math.max(1, capacity / 16);
        this.records = recordsPrefix;
        this.recordsEnd = ByteArrayUtil.strinc(recordsPrefix);
        this.files = ByteArrayUtil.join(recordsPrefix, Tuple.from(RecordTypes.FILE).pack());
        this.tombstones = ByteArrayUtil.join(recordsPrefix, Tuple.from(RecordTypes.TOMBSTONE).pack());
        this.extents = ByteArrayUtil.join(recordsPrefix, Tuple.from(RecordTypes.EXTENT).pack());
        this.statusRanges = new byte[][][] {{files, ByteArrayUtil.strinc(files)},
            {tombstones, ByteArrayUtil.strinc(tombstones)}, {extents, ByteArrayUtil.strinc(extents)}};
    }

    /**
     * Starts keeping statuses read at or above {@code version}, which the caller read after every
     * commit began to be reported here, so every commit above it is.
     */
    void serveFrom(long version) {
        floor = version;
    }

    /** Whether statuses are kept at all (see {@link #serveFrom}). */
    boolean serving() {
        return floor != Long.MAX_VALUE;
    }

    /** The status of {@code path} if one read is still current, else null. */
    PathStatus get(String path) {
        Read r = entries.get(path);
        if (r == null) {
            return null;
        }
        if (current(path, r)) {
            return r.status();
        }
        entries.remove(path, r);
        return null;
    }

    /** Keeps {@code read} of {@code path} unless a commit it did not see already wrote what it depends on. */
    void put(String path, Read read) {
        if (!current(path, read)) {
            return;
        }
        if (entries.size() >= capacity) {
            evict();
        }
        entries.put(path, read);
    }

    /**
     * Makes room: one walk of the map drops a sixteenth of the capacity. Dropping one entry per put
     * walked the map's table from its start each time, over the bins earlier evictions had emptied:
     * once full, about 50 us per put at the Catalog's capacity, on the write path's thread. One
     * thread evicts at a time; the others put meanwhile (the map passes its capacity by at most
     * their few entries).
     */
    private void evict() {
        if (!evicting.compareAndSet(false, true)) {
            return;
        }
        try {
            Iterator<String> it = entries.keySet().iterator();
            for (int i = 0; i < evictBatch && it.hasNext(); i++) {
                it.next();
                it.remove();
            }
        } finally {
            evicting.set(false);
        }
    }

    /**
     * Keeps the layouts a transaction that committed at {@code version} left its paths with (null:
     * not known), as a read at that version would find them.
     */
    void keep(Map<String, FileLayout> layouts, long version) {
        layouts.forEach((path, layout) -> {
            if (layout != null) {
                put(path, new Read(new PathStatus.Live(layout), version));
            }
        });
    }

    int size() {
        return entries.size();
    }

    private boolean current(String path, Read r) {
        long v = r.readVersion();
        if (v < floor || v < pathWrittenAt.get(pathStripe(path))) {
            return false;
        }
        if (r.status() instanceof PathStatus.Live live) {
            return v >= fileWrittenAt.get(fileStripe(live.layout().file().fileId()));
        }
        return true;
    }

    /** One commit at {@code version}: see the class comment. */
    void committed(long version, Collection<byte[]> keysWritten, List<byte[][]> rangesCleared) {
        try {
            for (byte[] k : keysWritten) {
                if (ByteArrayUtil.startsWith(k, records)) {
                    written(version, k, null);
                }
            }
            for (byte[][] r : rangesCleared) {
                if (ByteArrayUtil.compareUnsigned(r[0], recordsEnd) < 0 && ByteArrayUtil.compareUnsigned(r[1], records) > 0) {
                    written(version, r[0], r[1]);
                }
            }
        } catch (RuntimeException e) {
            floor = Math.max(floor, version); // a key that would not decode: forget everything read before
        }
    }

    /** A write of {@code key}, or (with {@code end}) a clear of {@code [key, end)}, in the records. */
    private void written(long version, byte[] key, byte[] end) {
        byte[] type = ByteArrayUtil.startsWith(key, files) ? files
                : ByteArrayUtil.startsWith(key, tombstones) ? tombstones
                : ByteArrayUtil.startsWith(key, extents) ? extents : null;
        if (type == null) {
            if (end != null && touchesStatus(key, end)) {
                floor = Math.max(floor, version);
            }
            return; // another record type: no status reads it
        }
        Object id = Tuple.fromBytes(key, type.length, key.length - type.length).get(0);
        if (end != null && !ByteArrayUtil.startsWith(end, ByteArrayUtil.join(type, Tuple.from(id).pack()))) {
            floor = Math.max(floor, version); // a clear wider than one path's or file's records
            return;
        }
        if (type == extents) {
            fileWrittenAt.accumulateAndGet(fileStripe(((Number) id).longValue()), version, Math::max);
        } else {
            pathWrittenAt.accumulateAndGet(pathStripe((String) id), version, Math::max);
        }
    }

    /** Whether {@code [begin, end)} reaches into file, tombstone or extent records. */
    private boolean touchesStatus(byte[] begin, byte[] end) {
        for (byte[][] range : statusRanges) {
            if (ByteArrayUtil.compareUnsigned(begin, range[1]) < 0 && ByteArrayUtil.compareUnsigned(end, range[0]) > 0) {
                return true;
            }
        }
        return false;
    }

    private static int pathStripe(String path) {
        int h = path.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    private static int fileStripe(long fileId) {
        long h = fileId * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 52) & (STRIPES - 1);
    }
}
