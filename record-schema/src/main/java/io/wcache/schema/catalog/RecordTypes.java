package io.wcache.schema.catalog;

import com.apple.foundationdb.record.ExecuteProperties;
import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.ScanProperties;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.WcacheMetaData;

/**
 * The record type keys that start every primary key of the store (see {@link WcacheMetaData}),
 * and the two conversions every record access needs: a stored message as its generated type, and
 * a scan limit.
 */
final class RecordTypes {

    static final RecordMetaData META_DATA = WcacheMetaData.metaData();
    static final Object FILE = key("File");
    static final Object EXTENT = key("Extent");
    static final Object POLICY = key("PathPolicy");
    static final Object MOUNT = key("Mount");
    static final Object MOUNT_SEEN = key("MountSeen");
    static final Object TASK = key("PersistTask");
    static final Object TOMBSTONE = key("Tombstone");
    static final Object WORKER = key("Worker");
    static final Object UPLOAD = key("MultipartUpload");
    static final Object PART = key("Part");
    static final Object ACCESS_CONTROL = key("AccessControl");
    static final Object BUCKET_POLICY = key("BucketPolicy");

    private RecordTypes() {
    }

    private static Object key(String type) {
        return META_DATA.getRecordType(type).getRecordTypeKey();
    }

    /** {@code m} as the generated message type of {@code defaultInstance}, parsed again if it is a dynamic message. */
    @SuppressWarnings("unchecked")
    static <M extends Message> M as(Message m, M defaultInstance) {
        if (defaultInstance.getClass().isInstance(m)) {
            return (M) m;
        }
        try {
            return (M) defaultInstance.getParserForType().parseFrom(m.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new WcacheException.Corruption("metadata", "stored record does not parse: " + e.getMessage());
        }
    }

    static ScanProperties limit(int n) {
        return new ScanProperties(ExecuteProperties.newBuilder().setReturnedRowLimit(n).build());
    }
}
