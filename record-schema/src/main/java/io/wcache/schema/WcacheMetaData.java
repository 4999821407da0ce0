package io.wcache.schema;

import static com.apple.foundationdb.record.metadata.Key.Expressions.concat;
import static com.apple.foundationdb.record.metadata.Key.Expressions.field;
import static com.apple.foundationdb.record.metadata.Key.Expressions.recordType;

import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.RecordMetaDataBuilder;
import com.apple.foundationdb.record.metadata.Index;
import com.apple.foundationdb.record.metadata.expressions.KeyExpression;
import io.wcache.schema.proto.WcacheRecords;

/**
 * The Record Layer meta-data of the wcache store: record types from {@code wcache_metadata.proto},
 * their primary keys and the indexes the Catalog scans. Every primary key starts with the record
 * type key, so records of different types never share a key (a {@code Tombstone} and a
 * {@code PersistTask} for one path coexist). {@link #VERSION} is bumped with every change, and
 * the released versions are kept as snapshots that the evolution test checks against.
 */
public final class WcacheMetaData {

    /**
     * The meta-data version; bump it, and snapshot it, whenever the schema or an index changes.
     * 1: initial records and indexes. 2: MultipartUpload gains write_replicas and replica_workers.
     * 3: File gains part_sizes. 4: File and MultipartUpload gain standard_headers. 5: MultipartUpload
     * gains last_part_time_ms and the completed_* fields (idempotent completion, orphan sweep).
     * 6: File gains damage.
     * 7: Extents are indexed by location. 8: File and MultipartUpload gain tags.
     * 9: Mount gains created_time_ms; MountSeen records when configured mounts were first seen.
     * 10: Worker gains its S3, admin and internal addresses, draining and lease_expiry_ms (membership).
     * 11: File gains checksum and part_checksums, MultipartUpload and Part gain checksum (S3 flexible checksums).
     * 12: AccessControl records hold S3 owners and ACLs of buckets, objects and multipart uploads.
     * 13: BucketPolicy records hold S3 bucket policies.
     * 14: S3 bucket versioning: File gains version_id, keep_versions, delete_marker, ufs_source and
     * archive_first, Tombstone archive_first, MultipartUpload and AccessControl versioning.
     * 15: File gains replica_file_ids (the file id of each replica's copy, for writeReplicas > 1).
     */
    public static final int VERSION = 15;

    /** Committed and writing files by (state, path): listings and per-path look-ups of sessions. */
    public static final String FILE_BY_STATE_PATH = "File$state_path";
    /** Files by (state, last write time): the dangling-session sweep. */
    public static final String FILE_BY_STATE_LAST_WRITE = "File$state_lastWrite";
    /** Files by (state, creation time): the orphan-session sweep. */
    public static final String FILE_BY_STATE_CREATED = "File$state_created";
    /** Files by (persist state, commit time): persistence statistics and stuck-file reports. */
    public static final String FILE_BY_PERSIST_STATE = "File$persistState_committed";
    /** Files by owner worker: what a worker holds, for take-over and reclamation. */
    public static final String FILE_BY_OWNER = "File$owner";
    /** Files by id: from a file id (in the log or a task) back to its path. */
    public static final String FILE_BY_ID = "File$fileId";
    /**
     * Extents by (worker, segment, position): which file bytes a log-store location holds, for
     * relocation by eviction and compaction and for the check before a segment file is deleted.
     */
    public static final String EXTENT_BY_LOCATION = "Extent$location";
    /** The persist queue: tasks by next attempt time (a claimed task's next attempt is its lease expiry). */
    public static final String TASK_BY_NEXT_ATTEMPT = "PersistTask$nextAttempt";

    private static final RecordMetaData META_DATA = build();

    private WcacheMetaData() {
    }

    /** The current meta-data (built once). */
    public static RecordMetaData metaData() {
        return META_DATA;
    }

    private static RecordMetaData build() {
        RecordMetaDataBuilder b = RecordMetaData.newBuilder().setRecords(WcacheRecords.getDescriptor());
        pk(b, "File", field("path"), field("file_id"));
        pk(b, "Extent", field("file_id"), field("offset"));
        pk(b, "PathPolicy", field("prefix"));
        pk(b, "Mount", field("path"));
        pk(b, "PersistTask", field("path"));
        pk(b, "Tombstone", field("path"));
        pk(b, "MultipartUpload", field("upload_id"));
        pk(b, "Part", field("upload_id"), field("part_number"));
        pk(b, "Worker", field("id"));
        pk(b, "MountSeen", field("path"));
        b.getRecordType("MountSeen").setSinceVersion(9);
        pk(b, "AccessControl", field("bucket"), field("name"));
        b.getRecordType("AccessControl").setSinceVersion(12);
        pk(b, "BucketPolicy", field("bucket"));
        b.getRecordType("BucketPolicy").setSinceVersion(13);

        index(b, "File", FILE_BY_STATE_PATH, concat(field("state"), field("path")), 1);
        index(b, "File", FILE_BY_STATE_LAST_WRITE, concat(field("state"), field("last_write_time_ms")), 1);
        index(b, "File", FILE_BY_STATE_CREATED, concat(field("state"), field("created_time_ms")), 1);
        index(b, "File", FILE_BY_PERSIST_STATE, concat(field("persist_state"), field("committed_time_ms")), 1);
        index(b, "File", FILE_BY_OWNER, concat(field("owner_worker"), field("path")), 1);
        index(b, "File", FILE_BY_ID, field("file_id"), 1);
        index(b, "PersistTask", TASK_BY_NEXT_ATTEMPT, field("next_attempt_time_ms"), 1);
        index(b, "Extent", EXTENT_BY_LOCATION, concat(field("worker"), field("segment"), field("position")), 7);

        b.setStoreRecordVersions(false);
        b.setVersion(VERSION);
        return b.getRecordMetaData();
    }

    private static void pk(RecordMetaDataBuilder b, String type, KeyExpression... fields) {
        KeyExpression[] all = new KeyExpression[fields.length + 1];
        all[0] = recordType();
        System.arraycopy(fields, 0, all, 1, fields.length);
        b.getRecordType(type).setPrimaryKey(concat(java.util.Arrays.asList(all)));
    }

    private static void index(RecordMetaDataBuilder b, String type, String name, KeyExpression key, int sinceVersion) {
        Index index = new Index(name, key);
        index.setAddedVersion(sinceVersion);
        index.setLastModifiedVersion(sinceVersion);
        b.addIndex(type, index);
    }
}
