package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;
import static io.wcache.schema.catalog.RecordTypes.limit;

import com.apple.foundationdb.record.EndpointType;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Access, within one transaction, to the records of files (sessions and committed versions), their
 * extents and the tombstones of deleted paths, and the reads made of them: a path's committed
 * version, its layout, its status, the next generation.
 */
final class FileRecords {

    private final Tx t;

    FileRecords(Tx t) {
        this.t = t;
    }

    /** Every file record (sessions and the committed version) of a path. */
    List<WcacheRecords.File> filesAt(String path) {
        return t.scan(TupleRange.allOf(Tuple.from(RecordTypes.FILE, path)), Integer.MAX_VALUE).stream()
                .map(m -> as(m, WcacheRecords.File.getDefaultInstance())).toList();
    }

    /** The committed version among {@code files}, or null. */
    static WcacheRecords.File committed(List<WcacheRecords.File> files) {
        for (WcacheRecords.File f : files) {
            if (f.getState() == WcacheRecords.FileState.COMMITTED) {
                return f;
            }
        }
        return null;
    }

    /** Versions of a path looked at from its newest file id down before {@link #committedAt} reads them all. */
    static final int NEWEST_VERSIONS_FIRST = 8;

    /**
     * The committed version of {@code path}, or null. File ids only grow, and every overwrite
     * deletes the version it supersedes, so the path's range holds the deleted keys of all its past
     * versions (until the engine compacts them away) below the live ones: a scan of the range walked
     * them all, a cost that grew with every overwrite of a hot path. The versions are looked at from
     * the newest id down, one key read each, until the committed one: it has the greatest id but for
     * sessions opened after it (and versions a slower session's commit superseded). A path with more
     * than {@link #NEWEST_VERSIONS_FIRST} such records is read in full.
     */
    WcacheRecords.File committedAt(String path) {
        Tuple prefix = Tuple.from(RecordTypes.FILE, path);
        Tuple below = null;
        for (int i = 0; i < NEWEST_VERSIONS_FIRST; i++) {
            Tuple pk = t.lastPrimaryKey(prefix, below);
            if (pk == null) {
                return null;
            }
            WcacheRecords.File f = t.load(pk, WcacheRecords.File.getDefaultInstance());
            if (f != null && f.getState() == WcacheRecords.FileState.COMMITTED) {
                return f;
            }
            below = pk;
        }
        return committed(filesAt(path));
    }

    WcacheRecords.File load(NamespacePath path, long fileId) {
        return t.load(Tuple.from(RecordTypes.FILE, path.toString(), fileId), WcacheRecords.File.getDefaultInstance());
    }

    /** {@link #load}, for a version this transaction is about to save or delete (see {@link Tx#loadForUpdate}). */
    WcacheRecords.File loadForUpdate(NamespacePath path, long fileId) {
        return t.loadForUpdate(Tuple.from(RecordTypes.FILE, path.toString(), fileId), WcacheRecords.File.getDefaultInstance());
    }

    WcacheRecords.File byId(long fileId) {
        List<WcacheRecords.File> found = t.indexScan(WcacheMetaData.FILE_BY_ID, TupleRange.allOf(Tuple.from(fileId)),
                limit(1), WcacheRecords.File.getDefaultInstance());
        return found.isEmpty() ? null : found.get(0);
    }

    void delete(String path, long fileId) {
        t.store.deleteRecord(Tuple.from(RecordTypes.FILE, path, fileId));
    }

    /** The extents of a file, in offset order. */
    List<Extent> extents(long fileId) {
        return t.scan(TupleRange.allOf(Tuple.from(RecordTypes.EXTENT, fileId)), Integer.MAX_VALUE).stream()
                .map(m -> RecordMapping.extent(as(m, WcacheRecords.Extent.getDefaultInstance()))).toList();
    }

    /** Deletes a file's extent records and returns them, for the caller to reclaim their bytes. */
    List<Extent> deleteExtents(long fileId) {
        List<Extent> ext = extents(fileId);
        for (Extent e : ext) {
            deleteExtent(e);
        }
        return ext;
    }

    void saveExtent(Extent e) {
        t.store.saveRecord(RecordMapping.extent(e));
    }

    void deleteExtent(Extent e) {
        t.store.deleteRecord(Tuple.from(RecordTypes.EXTENT, e.fileId(), e.offset()));
    }

    /** The extent stored at ({@code fileId}, {@code offset}), or null. */
    Extent extent(long fileId, long offset) {
        WcacheRecords.Extent e = t.load(Tuple.from(RecordTypes.EXTENT, fileId, offset),
                WcacheRecords.Extent.getDefaultInstance());
        return e == null ? null : RecordMapping.extent(e);
    }

    /** The extent naming {@code worker}'s log-store location ({@code segment}, {@code position}), or null. */
    Extent extentAt(String worker, long segment, long position) {
        List<WcacheRecords.Extent> found = t.indexScan(WcacheMetaData.EXTENT_BY_LOCATION,
                TupleRange.allOf(Tuple.from(worker, segment, position)), limit(1), WcacheRecords.Extent.getDefaultInstance());
        return found.isEmpty() ? null : RecordMapping.extent(found.get(0));
    }

    WcacheRecords.Tombstone tombstone(String path) {
        return t.load(Tuple.from(RecordTypes.TOMBSTONE, path), WcacheRecords.Tombstone.getDefaultInstance());
    }

    void deleteTombstone(String path) {
        t.store.deleteRecord(Tuple.from(RecordTypes.TOMBSTONE, path));
    }

    /** Pending deletes of paths in {@code range}, at most {@code limit}. */
    List<Tombstone> tombstones(TupleRange range, int limit) {
        return t.scan(range, limit).stream()
                .map(m -> RecordMapping.tombstone(as(m, WcacheRecords.Tombstone.getDefaultInstance()))).toList();
    }

    /** A path's next generation: one above both its committed version's and its tombstone's. */
    static long nextGeneration(WcacheRecords.File current, WcacheRecords.Tombstone tomb) {
        long g = 0;
        if (current != null) {
            g = current.getGeneration();
        }
        if (tomb != null) {
            g = Math.max(g, tomb.getGeneration());
        }
        return g + 1;
    }

    Optional<FileVersion> lookup(NamespacePath path) {
        return Optional.ofNullable(committedAt(path.toString())).map(RecordMapping::file);
    }

    /** The committed version of a path with its extents. */
    Optional<FileLayout> layout(NamespacePath path) {
        WcacheRecords.File f = committedAt(path.toString());
        return f == null ? Optional.empty() : Optional.of(new FileLayout(RecordMapping.file(f), extents(f.getFileId())));
    }

    PathStatus status(NamespacePath path) {
        Optional<FileLayout> live = layout(path);
        if (live.isPresent()) {
            return new PathStatus.Live(live.get());
        }
        WcacheRecords.Tombstone tomb = tombstone(path.toString());
        return tomb == null ? new PathStatus.NotCached() : new PathStatus.Deleted(RecordMapping.tombstone(tomb));
    }

    /**
     * Removes the committed version {@code current} of {@code path} and its extents, taking its
     * bytes off its holders' counters; returns the extents, for the caller to reclaim.
     */
    List<Extent> removeCommitted(String path, WcacheRecords.File current) {
        List<Extent> ext = deleteExtents(current.getFileId());
        delete(path, current.getFileId());
        t.space.account(RecordMapping.file(current), -1);
        return ext;
    }

    /** Write sessions whose {@code index} time (last write or creation) is before {@code cutoff}, oldest first. */
    List<FileVersion> sessionsBefore(String index, Instant cutoff, int max) {
        int writing = WcacheRecords.FileState.WRITING.getNumber();
        TupleRange range = new TupleRange(Tuple.from(writing), Tuple.from(writing, cutoff.toEpochMilli()),
                EndpointType.RANGE_INCLUSIVE, EndpointType.RANGE_EXCLUSIVE);
        return t.indexScan(index, range, limit(max), WcacheRecords.File.getDefaultInstance()).stream()
                .map(RecordMapping::file).toList();
    }

    /** An extent found by its location must cover as many bytes as the location the caller names. */
    static void requireLength(Extent e, long length) {
        if (e.length() != length) {
            throw new WcacheException.Corruption("file " + e.fileId(), "extent at offset " + e.offset()
                    + " names a location of " + length + " bytes but covers " + e.length());
        }
    }
}
