package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.cache.MultipartParts;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.PartRef;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The records of multipart uploads and their parts within one transaction. A part's bytes are
 * stored under a file id of their own; completing an upload moves the named parts' extents, shifted
 * to their place, to a new session of the upload's path and commits it as {@link SessionWrites}
 * commits any session. A completed upload's record stays, marked completed, to answer a retried
 * completion.
 */
final class UploadRecords {

    private final Tx t;

    UploadRecords(Tx t) {
        this.t = t;
    }

    /** The upload's record, in progress or completed, or null. */
    WcacheRecords.MultipartUpload record(String uploadId) {
        return t.load(Tuple.from(RecordTypes.UPLOAD, uploadId), WcacheRecords.MultipartUpload.getDefaultInstance());
    }

    /** The upload if it is in progress (a completed upload's record is kept only to answer retries). */
    WcacheRecords.MultipartUpload inProgress(String uploadId) {
        WcacheRecords.MultipartUpload u = record(uploadId);
        return u == null || u.hasCompletedTimeMs() ? null : u;
    }

    WcacheRecords.MultipartUpload requireInProgress(String uploadId) {
        WcacheRecords.MultipartUpload u = inProgress(uploadId);
        if (u == null) {
            throw new WcacheException.NotFound(uploadId, "no multipart upload " + uploadId);
        }
        return u;
    }

    /** Every upload record, in progress or completed, in upload-id order. */
    List<WcacheRecords.MultipartUpload> all() {
        return t.scanType(RecordTypes.UPLOAD, Integer.MAX_VALUE).stream()
                .map(m -> as(m, WcacheRecords.MultipartUpload.getDefaultInstance())).toList();
    }

    void deleteRecord(String uploadId) {
        t.store.deleteRecord(Tuple.from(RecordTypes.UPLOAD, uploadId));
    }

    /** When an upload in progress last saw activity: its creation or its latest part. */
    static long lastActivity(WcacheRecords.MultipartUpload u) {
        return Math.max(u.getCreatedTimeMs(), u.getLastPartTimeMs());
    }

    WcacheRecords.Part part(String uploadId, int partNumber) {
        return t.load(Tuple.from(RecordTypes.PART, uploadId, partNumber), WcacheRecords.Part.getDefaultInstance());
    }

    List<WcacheRecords.Part> parts(String uploadId) {
        return t.scan(TupleRange.allOf(Tuple.from(RecordTypes.PART, uploadId)), Integer.MAX_VALUE).stream()
                .map(m -> as(m, WcacheRecords.Part.getDefaultInstance())).toList();
    }

    void deletePart(String uploadId, int partNumber) {
        t.store.deleteRecord(Tuple.from(RecordTypes.PART, uploadId, partNumber));
    }

    /** Opens the writing of a part: the upload's last activity moves to now. */
    MultipartUploadInfo beginPart(String uploadId) {
        WcacheRecords.MultipartUpload touched = requireInProgress(uploadId).toBuilder().setLastPartTimeMs(t.now).build();
        t.store.saveRecord(touched);
        return RecordMapping.upload(touched);
    }

    List<Extent> addPartExtents(String uploadId, long fileId, List<Extent> extents) {
        WcacheRecords.MultipartUpload u = requireInProgress(uploadId);
        SessionRef ref = new SessionRef(NamespacePath.of(u.getPath()), fileId);
        for (Extent e : extents) {
            e.validateFor(ref);
            t.files.saveExtent(e);
        }
        return extents;
    }

    /**
     * Records part {@code partNumber}: with {@code extents} given, they are stored now; with null,
     * the extents already recorded under {@code fileId} (written through the pipeline) are used.
     * Returns the extents of the part it replaced, for reclamation.
     */
    List<Extent> putPart(String uploadId, int partNumber, long fileId, List<Extent> extents, long size, String etag) {
        return putPart(uploadId, partNumber, fileId, extents, size, etag, Optional.empty());
    }

    /** As {@link #putPart(String, int, long, List, long, String)}, with the checksum the part was uploaded with. */
    List<Extent> putPart(String uploadId, int partNumber, long fileId, List<Extent> extents, long size, String etag,
                         Optional<ObjectChecksum> checksum) {
        requirePartNumber(uploadId, partNumber);
        WcacheRecords.MultipartUpload u = requireInProgress(uploadId);
        SessionRef ref = new SessionRef(NamespacePath.of(u.getPath()), fileId);
        requireCoverage(uploadId, partNumber, ref, extents == null ? t.files.extents(fileId) : extents, size);
        List<Extent> replaced = List.of();
        WcacheRecords.Part old = part(uploadId, partNumber);
        if (old != null && old.getFileId() != fileId) {
            replaced = t.files.deleteExtents(old.getFileId());
        }
        if (extents != null) {
            for (Extent e : extents) {
                t.files.saveExtent(e);
            }
        }
        WcacheRecords.Part.Builder part = WcacheRecords.Part.newBuilder().setUploadId(uploadId).setPartNumber(partNumber)
                .setFileId(fileId).setSize(size).setEtag(etag == null ? "" : etag).setCreatedTimeMs(t.now);
        checksum.ifPresent(c -> part.setChecksum(RecordMapping.checksum(c)));
        t.store.saveRecord(part.build());
        t.store.saveRecord(u.toBuilder().setLastPartTimeMs(t.now).build());
        return replaced;
    }

    static void requirePartNumber(String uploadId, int partNumber) {
        MultipartParts.checkPartNumber(uploadId, partNumber);
    }

    private static void requireCoverage(String uploadId, int partNumber, SessionRef ref, List<Extent> extents, long size) {
        long covered = 0;
        for (Extent e : extents) {
            e.validateFor(ref);
            if (e.offset() != covered) {
                throw new WcacheException.InvalidArgument(uploadId, "extents of part " + partNumber
                        + " leave a gap or overlap at offset " + covered);
            }
            covered = e.end();
        }
        if (covered != size) {
            throw new WcacheException.InvalidArgument(uploadId, "part " + partNumber + " says " + size
                    + " bytes but its extents cover " + covered);
        }
    }

    PartResult abortPart(String uploadId, int partNumber, long fileId) {
        WcacheRecords.Part p = part(uploadId, partNumber);
        if (p != null && p.getFileId() == fileId) {
            deletePart(uploadId, partNumber);
        }
        return new PartResult(t.files.deleteExtents(fileId));
    }

    /** Deletes the upload with its parts; returns every part's extents for reclamation. */
    List<Extent> abort(String uploadId) {
        List<Extent> out = new ArrayList<>();
        for (WcacheRecords.Part p : parts(uploadId)) {
            out.addAll(t.files.deleteExtents(p.getFileId()));
            deletePart(uploadId, p.getPartNumber());
        }
        deleteRecord(uploadId);
        return out;
    }

    /** See {@link MultipartUploads#completeUpload}; {@code fileId} is the new version's, freshly allocated. */
    CompleteUploadResult complete(String uploadId, List<CompletedPart> named, String etag, long crc32c, long fileId,
                                  Optional<ObjectChecksum> checksum) {
        WcacheRecords.MultipartUpload u = requireInProgress(uploadId);
        Map<Integer, WcacheRecords.Part> byNumber = partsByNumber(uploadId);
        requireNamedPartsMatch(uploadId, named, byNumber);
        NamespacePath path = NamespacePath.of(u.getPath());
        FileVersion session = t.sessions.begin(requestOf(u), fileId);
        List<Extent> assembled = new ArrayList<>();
        List<Long> partSizes = new ArrayList<>(named.size());
        long size = assemble(uploadId, named, byNumber, fileId, assembled, partSizes);
        List<Extent> discarded = discardUnnamed(uploadId, named, byNumber);
        // The upload's record stays, marked completed, so that a retried completion is answered alike.
        t.store.saveRecord(completedRecord(u, named, byNumber, fileId, etag, size));
        // The part boundaries (and the parts' checksums) travel with the session record into the committed version.
        WcacheRecords.File.Builder assembledFile = t.files.load(path, fileId).toBuilder().addAllPartSizes(partSizes);
        List<String> partChecksums = named.stream().map(c -> byNumber.get(c.partNumber()))
                .map(p -> p.hasChecksum() ? p.getChecksum().getValue() : "").toList();
        if (partChecksums.stream().anyMatch(c -> !c.isEmpty())) {
            assembledFile.addAllPartChecksums(partChecksums);
        }
        t.store.saveRecord(assembledFile.build());
        CommitResult commit = t.sessions.commit(session.ref(), new CommitRequest(size, etag, crc32c,
                WriteCondition.NONE, checksum));
        return new CompleteUploadResult(commit, discarded, assembled);
    }

    private Map<Integer, WcacheRecords.Part> partsByNumber(String uploadId) {
        Map<Integer, WcacheRecords.Part> byNumber = new HashMap<>();
        for (WcacheRecords.Part p : parts(uploadId)) {
            byNumber.put(p.getPartNumber(), p);
        }
        return byNumber;
    }

    /**
     * The named parts must be at least one, in ascending order, each uploaded with the ETag named
     * ({@link MultipartParts#namingViolation}, checked again here inside the transaction).
     */
    private static void requireNamedPartsMatch(String uploadId, List<CompletedPart> named,
                                               Map<Integer, WcacheRecords.Part> byNumber) {
        if (named.isEmpty()) {
            throw new WcacheException.InvalidArgument(uploadId, "a multipart upload needs at least one part");
        }
        Map<Integer, io.wcache.core.cache.PartInfo> stored = new HashMap<>();
        byNumber.forEach((n, p) -> stored.put(n, new io.wcache.core.cache.PartInfo(n, p.getSize(), p.getEtag(),
                Instant.ofEpochMilli(p.getCreatedTimeMs()))));
        List<PartRef> refs = named.stream().map(c -> new PartRef(c.partNumber(), c.etag())).toList();
        MultipartParts.namingViolation(refs, stored).ifPresent(v -> {
            throw v.toException(uploadId);
        });
    }

    /** The session request of the version an upload completes into: the upload's path, policy and headers. */
    private static BeginRequest requestOf(WcacheRecords.MultipartUpload u) {
        return new BeginRequest(NamespacePath.of(u.getPath()), WritePolicy.valueOf(u.getPolicy()),
                Math.max(1, u.getWriteReplicas()), u.getOwnerWorker(), u.getReplicaWorkersList(), u.getContentType(),
                RecordMapping.map(u.getUserMetadataList()), RecordMapping.map(u.getStandardHeadersList()),
                RecordMapping.map(u.getTagsList()), u.getVersioning());
    }

    /**
     * Moves the named parts' extents to {@code fileId}, each shifted by the sizes of the parts
     * before it, and deletes those parts' records; returns the assembled size.
     */
    private long assemble(String uploadId, List<CompletedPart> named, Map<Integer, WcacheRecords.Part> byNumber,
                          long fileId, List<Extent> assembled, List<Long> partSizes) {
        long offset = 0;
        for (CompletedPart c : named) {
            WcacheRecords.Part p = byNumber.get(c.partNumber());
            partSizes.add(p.getSize());
            for (Extent e : t.files.deleteExtents(p.getFileId())) {
                Extent moved = new Extent(fileId, offset + e.offset(), e.worker(), e.segment(), e.position(),
                        e.length(), e.crc32c());
                t.files.saveExtent(moved);
                assembled.add(moved);
            }
            offset += p.getSize();
            deletePart(uploadId, p.getPartNumber());
        }
        return offset;
    }

    /** Deletes the uploaded parts the completion does not name; returns their extents for reclamation. */
    private List<Extent> discardUnnamed(String uploadId, List<CompletedPart> named,
                                        Map<Integer, WcacheRecords.Part> byNumber) {
        Set<Integer> used = new HashSet<>();
        for (CompletedPart c : named) {
            used.add(c.partNumber());
        }
        List<Extent> discarded = new ArrayList<>();
        for (WcacheRecords.Part p : byNumber.values()) {
            if (!used.contains(p.getPartNumber())) {
                discarded.addAll(t.files.deleteExtents(p.getFileId()));
                deletePart(uploadId, p.getPartNumber());
            }
        }
        return discarded;
    }

    private WcacheRecords.MultipartUpload completedRecord(WcacheRecords.MultipartUpload u, List<CompletedPart> named,
                                                         Map<Integer, WcacheRecords.Part> byNumber, long fileId,
                                                         String etag, long size) {
        WcacheRecords.MultipartUpload.Builder done = u.toBuilder().setCompletedTimeMs(t.now).setCompletedFileId(fileId)
                .setCompletedEtag(etag).setCompletedSize(size);
        for (CompletedPart c : named) {
            done.addCompletedParts(c.partNumber() + ":" + stripQuotes(byNumber.get(c.partNumber()).getEtag()));
        }
        return done.build();
    }

    private static String stripQuotes(String etag) {
        String e = etag == null ? "" : etag.trim();
        return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
    }
}
