package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;
import static io.wcache.schema.catalog.RecordTypes.limit;

import com.apple.foundationdb.record.IndexScanType;
import com.apple.foundationdb.record.RecordCursor;
import com.apple.foundationdb.record.RecordCursorIterator;
import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBIndexedRecord;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * One attempt of one Catalog transaction: the opened record store, the counters subspace, the
 * time the attempt started, and the record access of each concern over that one store (files and
 * extents, sessions, multipart uploads, persist tasks, space counters). Created by
 * {@link CatalogTransactions#run}; never outlives its transaction.
 */
final class Tx {

    final FDBRecordContext ctx;
    final FDBRecordStore store;
    final Subspace counters;
    final long now;
    /** The lease a {@code WRITE_BACK} commit gives its upload at once; null: none. */
    final CommitLease commitLease;

    final FileRecords files;
    final SessionWrites sessions;
    final UploadRecords uploads;
    final TaskRecords tasks;
    final SpaceCounters space;
    final PendingSyncs pending;
    final VersionArchive versions;

    Tx(FDBRecordContext ctx, FDBRecordStore store, Subspace counters, long now, CommitLease commitLease) {
        this.ctx = ctx;
        this.store = store;
        this.counters = counters;
        this.now = now;
        this.commitLease = commitLease;
        this.files = new FileRecords(this);
        this.sessions = new SessionWrites(this);
        this.uploads = new UploadRecords(this);
        this.tasks = new TaskRecords(this);
        this.space = new SpaceCounters(this);
        this.pending = new PendingSyncs(this);
        this.versions = new VersionArchive(this);
    }

    /** Records in {@code range}, in key order, at most {@code max}. */
    List<Message> scan(TupleRange range, int max) {
        return ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                store.scanRecords(range, null, max == Integer.MAX_VALUE ? ScanProperties.FORWARD_SCAN : limit(max))
                        .map(FDBStoredRecord::getRecord).asList());
    }

    /**
     * The primary key of the greatest record in {@code prefix}'s records below {@code below} (null:
     * from the end of the prefix), or null if there is none. One key is read, however many deleted
     * records lie below it: a record scan reads ahead in chunks, and in the embedded engine a chunk
     * walks every deleted key of the range that the engine has not compacted away yet.
     */
    Tuple lastPrimaryKey(Tuple prefix, Tuple below) {
        Subspace records = store.recordsSubspace();
        com.apple.foundationdb.Range all = records.range(prefix);
        byte[] end = below == null ? all.end : records.pack(below);
        List<com.apple.foundationdb.KeyValue> last = ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                ctx.ensureActive().getRange(all.begin, end, 1, true).asList());
        if (last.isEmpty()) {
            return null;
        }
        Tuple key = records.unpack(last.get(0).getKey());
        // The record's own keys end with its split suffix (the whole record, its version): drop it.
        return Tuple.fromList(key.getItems().subList(0, prefix.size() + 1));
    }

    /** Every record of one type, in primary-key order, at most {@code max}. */
    List<Message> scanType(Object type, int max) {
        return scan(TupleRange.allOf(Tuple.from(type)), max);
    }

    /** The record with primary key {@code primaryKey} as {@code defaultInstance}'s type, or null. */
    <M extends Message> M load(Tuple primaryKey, M defaultInstance) {
        FDBStoredRecord<Message> r = store.loadRecord(primaryKey);
        return r == null ? null : as(r.getRecord(), defaultInstance);
    }

    /**
     * {@link #load}, for a record this transaction is about to save or delete: read through the
     * store's preload cache, so the save finds the old record (or its absence) there for its index
     * maintenance instead of reading it a second time. A save or delete through the store drops it.
     */
    <M extends Message> M loadForUpdate(Tuple primaryKey, M defaultInstance) {
        ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, store.preloadRecordAsync(primaryKey));
        return load(primaryKey, defaultInstance);
    }

    /** Records found through {@code index} in {@code range}, in index order, with {@code props}' limit and isolation. */
    <M extends Message> List<M> indexScan(String index, TupleRange range, ScanProperties props, M defaultInstance) {
        List<M> out = new ArrayList<>();
        try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(
                index, IndexScanType.BY_VALUE, range, null, props)) {
            RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
            while (it.hasNext()) {
                out.add(as(it.next().getRecord(), defaultInstance));
            }
        }
        return out;
    }

    /** A raw key read in the counters subspace; null when absent. */
    byte[] readCounterKey(Tuple key) {
        return ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, ctx.ensureActive().get(counters.pack(key)));
    }
}
