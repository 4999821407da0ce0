package io.wcache.schema.catalog;

import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.Message;
import io.wcache.core.cache.AccessControl;
import io.wcache.schema.proto.WcacheRecords;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The S3 frontend's owners and ACLs, as {@code AccessControl} records keyed by (bucket, name):
 * name {@code ""} is the bucket's own, {@code "o:<key>"} an object's, {@code "u:<upload id>"} what
 * a multipart upload's object will get (see {@code CacheService.accessControl}); and each bucket's
 * policy, a {@code BucketPolicy} record (see {@code CacheService.bucketPolicy}). One transaction
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

    /**
     * Deletes one access control, or with {@code name} null every one of {@code bucket} and its
     * policy (the bucket was deleted).
     */
    public void delete(String bucket, String name) {
        transactions.run(t -> {
            if (name != null) {
                t.store.deleteRecord(key(bucket, name));
                return null;
            }
            t.store.deleteRecord(policyKey(bucket));
            for (Message m : t.scan(TupleRange.allOf(Tuple.from(RecordTypes.ACCESS_CONTROL, bucket)), Integer.MAX_VALUE)) {
                var r = AclRecords.record(m);
                t.store.deleteRecord(key(r.getBucket(), r.getName()));
            }
            return null;
        });
    }

    private static Tuple policyKey(String bucket) {
        return Tuple.from(RecordTypes.BUCKET_POLICY, bucket);
    }

    /** The bucket policy document of {@code bucket}; empty when it has none. */
    public Optional<String> policy(String bucket) {
        return transactions.run(t -> Optional.ofNullable(t.store.loadRecord(policyKey(bucket)))
                .map(r -> policyRecord(r.getRecord()).getPolicy()));
    }

    /** Stores (replaces) the bucket policy of {@code bucket}. */
    public void putPolicy(String bucket, String policy) {
        transactions.run(t -> {
            t.store.saveRecord(WcacheRecords.BucketPolicy.newBuilder().setBucket(bucket).setPolicy(policy).build());
            return null;
        });
    }

    /** Removes the bucket policy of {@code bucket}, if any. */
    public void deletePolicy(String bucket) {
        transactions.run(t -> {
            t.store.deleteRecord(policyKey(bucket));
            return null;
        });
    }

    private static WcacheRecords.BucketPolicy policyRecord(Message m) {
        if (m instanceof WcacheRecords.BucketPolicy p) {
            return p;
        }
        try {
            return WcacheRecords.BucketPolicy.parseFrom(m.toByteString());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new io.wcache.core.error.WcacheException.Corruption("metadata",
                    "stored record does not parse: " + e.getMessage());
        }
    }
}
