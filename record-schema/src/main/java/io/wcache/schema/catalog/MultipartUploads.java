package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The Catalog's multipart uploads ({@link Catalog#multipart()}): creating an upload, recording its
 * parts (each stored under a file id of its own), completing it into one committed version of its
 * path, aborting it, and the sweep of idle uploads. Each method is one transaction. Parts written
 * through the pipeline are recorded by batches ({@link CatalogOp.BeginPart}, {@link CatalogOp.PutPart}
 * and the like, given to {@link CatalogFiles#apply}).
 */
public final class MultipartUploads {

    private final CatalogTransactions transactions;
    private final FileIdBlocks ids;

    MultipartUploads(CatalogTransactions transactions, FileIdBlocks ids) {
        this.transactions = transactions;
        this.ids = ids;
    }

    /**
     * Starts a multipart upload of {@code request.path()} with a fresh upload id. Parts are stored
     * as their own file ids ({@link #putPart}); {@link #completeUpload} assembles them into one
     * committed version.
     */
    public MultipartUploadInfo createUpload(BeginRequest request) {
        return createUpload(request, Optional.empty());
    }

    /** Starts an upload whose parts and completed object carry {@code checksum}'s algorithm and type. */
    public MultipartUploadInfo createUpload(BeginRequest request, Optional<ObjectChecksum> checksum) {
        if (!request.policy().cachesWrites()) {
            throw new WcacheException.InvalidArgument(request.path().toString(),
                    "policy " + request.policy() + " caches no writes; no multipart upload is opened");
        }
        SessionWrites.requireInsideMount(request.path());
        String uploadId = UUID.randomUUID().toString().replace("-", "");
        return transactions.run(t -> {
            WcacheRecords.MultipartUpload u = WcacheRecords.MultipartUpload.newBuilder().setUploadId(uploadId)
                    .setPath(request.path().toString()).setCreatedTimeMs(t.now).setOwnerWorker(request.ownerWorker())
                    .setContentType(request.contentType()).addAllUserMetadata(RecordMapping.keyValues(request.userMetadata()))
                    .addAllStandardHeaders(RecordMapping.keyValues(request.standardHeaders()))
                    .addAllTags(RecordMapping.keyValues(request.tags())).setVersioning(request.versioning())
                    .setPolicy(request.policy().name()).setWriteReplicas(request.writeReplicas())
                    .addAllReplicaWorkers(request.replicaWorkers()).build();
            if (checksum.isPresent()) {
                u = u.toBuilder().setChecksum(RecordMapping.checksum(checksum.get())).build();
            }
            t.store.saveRecord(u);
            return RecordMapping.upload(u);
        });
    }

    /** The upload, if it is still in progress. */
    public Optional<MultipartUploadInfo> upload(String uploadId) {
        return transactions.run(t -> Optional.ofNullable(t.uploads.inProgress(uploadId)).map(RecordMapping::upload));
    }

    /** Uploads in progress whose path starts with {@code prefix}, by path then upload id, at most {@code limit}. */
    public List<MultipartUploadInfo> uploads(String prefix, int limit) {
        return transactions.run(t -> t.uploads.all().stream()
                .filter(u -> !u.hasCompletedTimeMs())
                .map(RecordMapping::upload)
                .filter(u -> u.path().toString().startsWith(prefix))
                .sorted(Comparator.comparing((MultipartUploadInfo u) -> u.path())
                        .thenComparing(MultipartUploadInfo::uploadId))
                .limit(limit).toList());
    }

    /**
     * Records an uploaded part whose bytes were written under {@code fileId} (from
     * {@link CatalogFiles#reserveFileId()}), replacing an earlier upload of the same part number;
     * returns the replaced part's extents for reclamation. The extents must cover {@code [0, size)}.
     */
    public List<Extent> putPart(String uploadId, int partNumber, long fileId, List<Extent> extents, long size, String etag) {
        UploadRecords.requirePartNumber(uploadId, partNumber);
        return transactions.run(t -> t.uploads.putPart(uploadId, partNumber, fileId, extents, size, etag));
    }

    /** The uploaded parts in part-number order. */
    public List<PartInfo> parts(String uploadId) {
        return transactions.run(t -> {
            t.uploads.requireInProgress(uploadId);
            return t.uploads.parts(uploadId).stream().map(RecordMapping::part).toList();
        });
    }

    /**
     * Every recorded part of every upload in progress, by upload id then part number, at most
     * {@code limit}: a worker's restart reconciliation keeps their extents live.
     */
    public List<PartInfo> allParts(int limit) {
        return transactions.run(t -> t.scanType(RecordTypes.PART, limit).stream()
                .map(m -> RecordMapping.part(as(m, WcacheRecords.Part.getDefaultInstance()))).toList());
    }

    /**
     * Forgets part {@code partNumber} of an upload if it is still the one stored under
     * {@code fileId} (restart recovery, when the part's bytes did not survive); returns the extents
     * it had, for reclamation, or nothing when the part moved on or is gone.
     */
    public List<Extent> dropPart(String uploadId, int partNumber, long fileId) {
        return transactions.run(t -> {
            WcacheRecords.Part p = t.uploads.part(uploadId, partNumber);
            if (p == null || p.getFileId() != fileId) {
                return List.<Extent>of();
            }
            t.uploads.deletePart(uploadId, partNumber);
            return t.files.deleteExtents(fileId);
        });
    }

    /**
     * Assembles the named parts, in ascending part order and with matching ETags, into one
     * version of the upload's path and commits it exactly like {@link CatalogFiles#commit}
     * (superseding the current version, queueing a persist task for {@code WRITE_BACK}). Parts not
     * named are discarded. The upload is gone afterwards.
     *
     * @throws WcacheException.InvalidArgument for an unknown part, a wrong ETag or a wrong order
     * @throws WcacheException.NotFound for an unknown upload
     */
    public CompleteUploadResult completeUpload(String uploadId, List<CompletedPart> parts, String etag, long crc32c) {
        return completeUpload(uploadId, parts, etag, crc32c, Optional.empty());
    }

    /**
     * Completes as {@link #completeUpload(String, List, String, long)}, storing {@code checksum} with
     * the object and the named parts' checksums ({@code FileVersion.partChecksums}).
     */
    public CompleteUploadResult completeUpload(String uploadId, List<CompletedPart> parts, String etag, long crc32c,
                                               Optional<ObjectChecksum> checksum) {
        long fileId = ids.next();
        return transactions.run(t -> t.uploads.complete(uploadId, parts, etag, crc32c, fileId, checksum));
    }

    /**
     * The record of a completed upload, while it is kept ({@link #forgetCompletedUploads}): a
     * retried completion is answered from it.
     */
    public Optional<CompletedUpload> completedUpload(String uploadId) {
        return transactions.run(t -> {
            WcacheRecords.MultipartUpload u = t.uploads.record(uploadId);
            if (u == null || !u.hasCompletedTimeMs()) {
                return Optional.<CompletedUpload>empty();
            }
            List<CompletedPart> parts = new ArrayList<>();
            for (String p : u.getCompletedPartsList()) {
                int colon = p.indexOf(':');
                parts.add(new CompletedPart(Integer.parseInt(p.substring(0, colon)), p.substring(colon + 1)));
            }
            return Optional.of(new CompletedUpload(uploadId, NamespacePath.of(u.getPath()), u.getCompletedFileId(),
                    u.getCompletedEtag(), u.getCompletedSize(), parts, Instant.ofEpochMilli(u.getCompletedTimeMs())));
        });
    }

    /** Abandons an upload and returns every part's extents for reclamation. */
    public List<Extent> abortUpload(String uploadId) {
        return transactions.run(t -> {
            t.uploads.requireInProgress(uploadId);
            return t.uploads.abort(uploadId);
        });
    }

    // ---------------------------------------------------------------- sweep of idle and completed uploads

    /**
     * Uploads in progress with no activity (creation or a recorded part) since {@code before}:
     * the orphans the sweep aborts. At most {@code limit}, oldest activity first.
     */
    public List<MultipartUploadInfo> uploadsIdleSince(Instant before, int limit) {
        long cutoff = before.toEpochMilli();
        return transactions.run(t -> t.uploads.all().stream()
                .filter(u -> !u.hasCompletedTimeMs() && UploadRecords.lastActivity(u) < cutoff)
                .sorted(Comparator.comparingLong(UploadRecords::lastActivity))
                .limit(limit).map(RecordMapping::upload).toList());
    }

    /**
     * Abandons an upload, in the same transaction as the check, if it has had no activity since
     * {@code before} (an orphan); returns its parts' extents for reclamation, or empty when the
     * upload got a part meanwhile or is gone.
     */
    public Optional<List<Extent>> abortUploadIfIdleSince(String uploadId, Instant before) {
        return transactions.run(t -> {
            WcacheRecords.MultipartUpload u = t.uploads.inProgress(uploadId);
            if (u == null || UploadRecords.lastActivity(u) >= before.toEpochMilli()) {
                return Optional.<List<Extent>>empty();
            }
            return Optional.of(t.uploads.abort(uploadId));
        });
    }

    /** Deletes the records of uploads completed before {@code before}, at most {@code limit}; the number deleted. */
    public int forgetCompletedUploads(Instant before, int limit) {
        long cutoff = before.toEpochMilli();
        return transactions.run(t -> {
            int n = 0;
            for (WcacheRecords.MultipartUpload u : t.uploads.all()) {
                if (u.hasCompletedTimeMs() && u.getCompletedTimeMs() < cutoff && n < limit) {
                    t.uploads.deleteRecord(u.getUploadId());
                    n++;
                }
            }
            return n;
        });
    }
}
