package io.wcache.schema.catalog;

import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.cache.AccessControl;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The S3 frontend's owners and ACLs, as {@code AccessControl} records keyed by (bucket, name):
 * name {@code ""} is the bucket's own, {@code "o:<key>"} an object's, {@code "u:<upload id>"} what
 * a multipart upload's object will get (see {@code CacheService.accessControl}). One transaction
 * per operation.
 */
public final class AccessControls {
    private final CatalogTransactions transactions;

    AccessControls(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    private static Tuple key(String bucket, String name) {
        return Tuple.from(RecordTypes.ACCESS_CONTROL, bucket, name);
    }

    /** The access control stored for {@code (bucket, name)}. */
    public Optional<AccessControl> get(String bucket, String name) {
        return transactions.run(t -> Optional.ofNullable(t.store.loadRecord(key(bucket, name)))
                .map(r -> AclRecords.fromRecord(r.getRecord())));
    }

    /** The own access control of each named bucket that has one, by bucket name. */
    public Map<String, AccessControl> buckets(Collection<String> buckets) {
        return transactions.run(t -> {
            Map<String, AccessControl> out = new TreeMap<>();
            for (String b : buckets) {
                FDBStoredRecord<Message> r = t.store.loadRecord(key(b, ""));
                if (r != null) {
                    out.put(b, AclRecords.fromRecord(r.getRecord()));
                }
            }
            return out;
        });
    }

    /**
     * Stores an access control. An object's ({@code "o:..."} or {@code "u:..."}) also marks its
     * bucket's record, in the same transaction, as having object ACLs (when the bucket has a record).
     */
    public void put(String bucket, String name, AccessControl acl) {
        transactions.run(t -> {
            t.store.saveRecord(AclRecords.toRecord(bucket, name, acl));
            if (!name.isEmpty()) {
                FDBStoredRecord<Message> b = t.store.loadRecord(key(bucket, ""));
                if (b != null) {
                    AccessControl own = AclRecords.fromRecord(b.getRecord());
                    if (!own.objectAcls()) {
                        t.store.saveRecord(AclRecords.toRecord(bucket, "", own.withObjectAcls(true)));
                    }
                }
            }
            return null;
        });
    }

    /** Deletes one access control, or with {@code name} null every one of {@code bucket}. */
    public void delete(String bucket, String name) {
        transactions.run(t -> {
            if (name != null) {
                t.store.deleteRecord(key(bucket, name));
                return null;
            }
            for (Message m : t.scan(TupleRange.allOf(Tuple.from(RecordTypes.ACCESS_CONTROL, bucket)), Integer.MAX_VALUE)) {
                var r = AclRecords.record(m);
                t.store.deleteRecord(key(r.getBucket(), r.getName()));
            }
            return null;
        });
    }
}
