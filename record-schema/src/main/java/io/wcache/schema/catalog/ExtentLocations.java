package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;
import static io.wcache.schema.catalog.RecordTypes.limit;

import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.OnlineIndexer;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Catalog's extents by log-store location ({@link Catalog#locations()}): the Catalog is the
 * one record of which file bytes a location of a worker's log store holds, so a log store asks
 * here before it moves (compaction), drops (eviction) or deletes bytes, and a restart declares
 * every extent live. Each method is one transaction.
 */
public final class ExtentLocations {

    private static final Logger LOG = LoggerFactory.getLogger(ExtentLocations.class);

    private final CatalogTransactions transactions;

    ExtentLocations(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    /**
     * Every extent record, in (file id, offset) order, at most {@code limit}: a worker's restart
     * reconciliation declares them live to its log store.
     */
    public List<Extent> allExtents(int limit) {
        return transactions.run(t -> t.scanType(RecordTypes.EXTENT, limit).stream()
                .map(m -> RecordMapping.extent(as(m, WcacheRecords.Extent.getDefaultInstance()))).toList());
    }

    /**
     * The extent that names {@code worker}'s log-store location ({@code segment}, {@code position}),
     * if any.
     */
    public Optional<Extent> extentAt(String worker, long segment, long position) {
        return transactions.run(t -> Optional.ofNullable(t.files.extentAt(worker, segment, position)));
    }

    /**
     * Extents of {@code worker} stored in {@code segment}, in position order, at most {@code limit}:
     * what must not be in a segment file that is about to be deleted.
     */
    public List<Extent> extentsInSegment(String worker, long segment, int limit) {
        return transactions.run(t -> t.indexScan(WcacheMetaData.EXTENT_BY_LOCATION,
                TupleRange.allOf(Tuple.from(worker, segment)), limit(limit), WcacheRecords.Extent.getDefaultInstance())
                .stream().map(RecordMapping::extent).toList());
    }

    /**
     * Compare-and-set of one extent record, for a log store's eviction callback: if the extent
     * stored at ({@code expected.fileId()}, {@code expected.offset()}) still names
     * {@code expected}'s worker, segment and position, it is replaced by {@code replacement}
     * (same file id and offset), or deleted when {@code replacement} is null. False when it moved
     * on or is gone.
     */
    public boolean replaceExtent(Extent expected, Extent replacement) {
        if (replacement != null && (replacement.fileId() != expected.fileId() || replacement.offset() != expected.offset())) {
            throw new WcacheException.InvalidArgument("file " + expected.fileId(),
                    "a replacement extent must keep the file id and offset");
        }
        return transactions.run(t -> {
            Extent cur = t.files.extent(expected.fileId(), expected.offset());
            if (cur == null || !cur.worker().equals(expected.worker()) || cur.segment() != expected.segment()
                    || cur.position() != expected.position()) {
                return false;
            }
            if (replacement == null) {
                t.files.deleteExtent(expected);
            } else {
                t.files.saveExtent(replacement);
            }
            return true;
        });
    }

    /**
     * Points the extent that names ({@code worker}, {@code segment}, {@code position}) at its copy
     * ({@code toSegment}, {@code toPosition}), in one transaction with the look-up. The extent is
     * found by its location whatever file id it belongs to now (a completed multipart upload moves
     * part extents to the new version's file id). {@code UNREFERENCED} when no extent names the
     * location; an extent of another length there is corruption of the Catalog and throws.
     */
    public LocationUpdate relocateExtent(String worker, long segment, long position, long length, long toSegment,
                                         long toPosition) {
        return transactions.run(t -> {
            Extent cur = t.files.extentAt(worker, segment, position);
            if (cur == null) {
                return LocationUpdate.UNREFERENCED;
            }
            FileRecords.requireLength(cur, length);
            t.files.saveExtent(new Extent(cur.fileId(), cur.offset(), cur.worker(), toSegment, toPosition, cur.length(),
                    cur.crc32c()));
            return LocationUpdate.APPLIED;
        });
    }

    /**
     * Forgets the extent that names ({@code worker}, {@code segment}, {@code position}) because
     * eviction drops those bytes; readers then fetch the file from the UFS. Only the extent of a
     * committed version that is {@code PERSISTED} may go: an extent of a session (a
     * {@code WRITE_THROUGH} write still uploading, a read-through load) or of a version not yet in
     * the UFS is {@code REFUSED}, whatever the log store believes its region to be.
     */
    public LocationUpdate dropExtent(String worker, long segment, long position, long length) {
        return transactions.run(t -> {
            Extent cur = t.files.extentAt(worker, segment, position);
            if (cur == null) {
                return LocationUpdate.UNREFERENCED;
            }
            FileRecords.requireLength(cur, length);
            WcacheRecords.File f = t.files.byId(cur.fileId());
            if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED
                    || f.getPersistState() != WcacheRecords.PersistState.PERSISTED) {
                return LocationUpdate.REFUSED;
            }
            t.files.deleteExtent(cur);
            return LocationUpdate.APPLIED;
        });
    }

    /**
     * Makes the location index readable in a store created before it existed (meta-data version 7):
     * the Record Layer leaves a new index on a large store write-only until it is built.
     */
    void ensureIndexReadable() {
        boolean readable = transactions.run(t -> t.store.isIndexReadable(WcacheMetaData.EXTENT_BY_LOCATION));
        if (readable) {
            return;
        }
        String catalog = transactions.name();
        LOG.info("event=index_build_started catalog={} index={}", catalog, WcacheMetaData.EXTENT_BY_LOCATION);
        try (OnlineIndexer indexer = OnlineIndexer.newBuilder()
                .setDatabase(transactions.database())
                .setRecordStoreBuilder(CatalogTransactions.storeBuilder().setKeySpacePath(transactions.recordsPath()))
                .setIndex(WcacheMetaData.EXTENT_BY_LOCATION)
                .build()) {
            indexer.buildIndex();
        }
        LOG.info("event=index_build_done catalog={} index={}", catalog, WcacheMetaData.EXTENT_BY_LOCATION);
    }
}
