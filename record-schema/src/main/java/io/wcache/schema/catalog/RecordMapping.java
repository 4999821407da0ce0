package io.wcache.schema.catalog;

import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Converts between stored protobuf records and the Catalog's domain records. */
final class RecordMapping {

    private RecordMapping() {
    }

    static FileState state(WcacheRecords.FileState s) {
        return s == WcacheRecords.FileState.COMMITTED ? FileState.COMMITTED : FileState.WRITING;
    }

    static WcacheRecords.FileState state(FileState s) {
        return s == FileState.COMMITTED ? WcacheRecords.FileState.COMMITTED : WcacheRecords.FileState.WRITING;
    }

    static PersistState persistState(WcacheRecords.PersistState s) {
        return switch (s) {
            case PERSISTING -> PersistState.PERSISTING;
            case PERSISTED -> PersistState.PERSISTED;
            case TRANSIENT_ONLY -> PersistState.TRANSIENT;
            default -> PersistState.NOT_PERSISTED;
        };
    }

    static WcacheRecords.PersistState persistState(PersistState s) {
        return switch (s) {
            case NOT_PERSISTED -> WcacheRecords.PersistState.NOT_PERSISTED;
            case PERSISTING -> WcacheRecords.PersistState.PERSISTING;
            case PERSISTED -> WcacheRecords.PersistState.PERSISTED;
            case TRANSIENT -> WcacheRecords.PersistState.TRANSIENT_ONLY;
        };
    }

    static Map<String, String> map(List<WcacheRecords.KeyValue> kvs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (WcacheRecords.KeyValue kv : kvs) {
            m.put(kv.getKey(), kv.getValue());
        }
        return m;
    }

    static List<WcacheRecords.KeyValue> keyValues(Map<String, String> m) {
        return m.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> WcacheRecords.KeyValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build())
                .toList();
    }

    static FileVersion file(WcacheRecords.File f) {
        return new FileVersion(NamespacePath.of(f.getPath()), f.getFileId(), f.getGeneration(), state(f.getState()),
                persistState(f.getPersistState()), WritePolicy.valueOf(f.getPolicy()), f.getWriteReplicas(), f.getSize(),
                f.getEtag(), f.getCrc32C(), f.getContentType(), map(f.getUserMetadataList()),
                Instant.ofEpochMilli(f.getCreatedTimeMs()), Instant.ofEpochMilli(f.getLastWriteTimeMs()),
                f.hasCommittedTimeMs() ? Optional.of(Instant.ofEpochMilli(f.getCommittedTimeMs())) : Optional.empty(),
                f.getOwnerWorker(), f.getReplicaWorkersList(), f.getPartSizesList(), map(f.getStandardHeadersList()), f.getDamage(),
                map(f.getTagsList()), f.hasChecksum() ? Optional.of(checksum(f.getChecksum())) : Optional.empty(),
                f.getPartChecksumsList(), versioning(f));
    }

    static VersionState versioning(WcacheRecords.File f) {
        if (!f.hasVersionId() && !f.getKeepVersions() && !f.getDeleteMarker() && !f.hasUfsSource()
                && f.getArchiveFirstCount() == 0) {
            return VersionState.NONE;
        }
        return new VersionState(f.getVersionId(), f.getKeepVersions(), f.getDeleteMarker(), f.getUfsSource(),
                f.getArchiveFirstList());
    }

    static Extent extent(WcacheRecords.Extent e) {
        return new Extent(e.getFileId(), e.getOffset(), e.getWorker(), e.getSegment(), e.getPosition(), e.getLength(),
                e.getCrc32C());
    }

    static WcacheRecords.Extent extent(Extent e) {
        return WcacheRecords.Extent.newBuilder().setFileId(e.fileId()).setOffset(e.offset()).setWorker(e.worker())
                .setSegment(e.segment()).setPosition(e.position()).setLength(e.length()).setCrc32C(e.crc32c()).build();
    }

    static Tombstone tombstone(WcacheRecords.Tombstone t) {
        return new Tombstone(NamespacePath.of(t.getPath()), t.getGeneration(), t.getFileId(),
                Instant.ofEpochMilli(t.getDeletedTimeMs()), t.getArchiveFirstList());
    }

    static PersistTask task(WcacheRecords.PersistTask t) {
        return new PersistTask(NamespacePath.of(t.getPath()),
                t.getKind() == WcacheRecords.TaskKind.UFS_DELETE ? TaskKind.DELETE : TaskKind.UPLOAD,
                t.getFileId(), t.getGeneration(), t.getSize(), t.getAttempts(), Instant.ofEpochMilli(t.getNextAttemptTimeMs()),
                t.hasLastError() ? Optional.of(t.getLastError()) : Optional.empty(),
                t.hasLeaseOwner() ? Optional.of(t.getLeaseOwner()) : Optional.empty(),
                t.hasLeaseExpiryMs() ? Optional.of(Instant.ofEpochMilli(t.getLeaseExpiryMs())) : Optional.empty(),
                Instant.ofEpochMilli(t.getEnqueuedTimeMs()));
    }

    static WorkerInfo worker(WcacheRecords.Worker w) {
        return new WorkerInfo(w.getId(), w.getAddress(), w.getCapacityBytes(), Instant.ofEpochMilli(w.getHeartbeatTimeMs()),
                Instant.ofEpochMilli(w.getStartedTimeMs()));
    }

    static MultipartUploadInfo upload(WcacheRecords.MultipartUpload u) {
        return new MultipartUploadInfo(u.getUploadId(), NamespacePath.of(u.getPath()), WritePolicy.valueOf(u.getPolicy()),
                Math.max(1, u.getWriteReplicas()), u.getOwnerWorker(), u.getReplicaWorkersList(), u.getContentType(),
                map(u.getUserMetadataList()), Instant.ofEpochMilli(u.getCreatedTimeMs()), map(u.getStandardHeadersList()),
                map(u.getTagsList()), u.hasChecksum() ? Optional.of(checksum(u.getChecksum())) : Optional.empty(),
                u.getVersioning());
    }

    static PartInfo part(WcacheRecords.Part p) {
        return new PartInfo(p.getUploadId(), p.getPartNumber(), p.getFileId(), p.getSize(), p.getEtag(),
                Instant.ofEpochMilli(p.getCreatedTimeMs()),
                p.hasChecksum() ? Optional.of(checksum(p.getChecksum())) : Optional.empty());
    }

    static ObjectChecksum checksum(WcacheRecords.Checksum c) {
        return new ObjectChecksum(c.getAlgorithm(), c.getType(), c.getValue());
    }

    static WcacheRecords.Checksum checksum(ObjectChecksum c) {
        return WcacheRecords.Checksum.newBuilder().setAlgorithm(c.algorithm()).setType(c.type()).setValue(c.value())
                .build();
    }
}
