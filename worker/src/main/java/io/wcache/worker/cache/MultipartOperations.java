package io.wcache.worker.cache;

import io.wcache.core.cache.MultipartParts;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CompleteUploadResult;
import io.wcache.schema.catalog.CompletedPart;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.MultipartUploadInfo;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cache service's multipart uploads: creating one (caching policies only), writing a part
 * through a {@link PartWriteSession}, completing (the parts' ETags and sizes checked, the S3
 * multipart ETag computed, a {@code WRITE_THROUGH} object uploaded before it is committed),
 * answering a retried completion as the first was answered, aborting, and the listings. Each
 * method blocks; the service runs them on its I/O pool.
 */
final class MultipartOperations {

    private final WorkerCacheService svc;
    private final Catalog catalog;
    private final WritePipeline pipeline;

    MultipartOperations(WorkerCacheService svc, Catalog catalog, WritePipeline pipeline) {
        this.svc = svc;
        this.catalog = catalog;
        this.pipeline = pipeline;
    }

    /** The upload of {@code path} in progress with that id. */
    private MultipartUploadInfo requireUpload(NamespacePath path, String uploadId) {
        var u = catalog.multipart().upload(uploadId).orElseThrow(() -> new WcacheException.NotFound(uploadId,
                "no multipart upload " + uploadId + " in progress"));
        if (!u.path().equals(path)) {
            throw new WcacheException.NotFound(uploadId, "upload " + uploadId + " is not an upload of " + path);
        }
        return u;
    }

    MultipartUpload create(NamespacePath path, WriteOptions options) {
        svc.policies().requireObjectPath(path);
        Resolution r = svc.policies().requireWritable(path);
        if (!r.policy().cachesWrites()) {
            throw new WcacheException.InvalidArgument(path.toString(), "multipart uploads need a caching policy; "
                    + r.policy() + " applies (" + r.explanation() + ")");
        }
        // Validated now, as for a single PUT: the completed object must be one the UFS accepts.
        new PutOptions(options.contentType(), options.userMetadata(), options.standardHeaders());
        String versioned = svc.requireVersionable(path, r.policy());
        var u = catalog.multipart().createUpload(new BeginRequest(path, r.policy(), r.writeReplicas(), svc.workerId(),
                List.of(), options.contentType(), options.userMetadata(), options.standardHeaders(), options.tags(),
                versioned), options.checksum());
        return new MultipartUpload(path, u.uploadId(), u.createdTime(), u.checksum());
    }

    /** The upload in progress, with the checksum algorithm and type it was created with. */
    MultipartUpload upload(NamespacePath path, String uploadId) {
        svc.policies().requireObjectPath(path);
        var u = requireUpload(path, uploadId);
        return new MultipartUpload(path, u.uploadId(), u.createdTime(), u.checksum());
    }

    WriteSession uploadPart(NamespacePath path, String uploadId, int partNumber) {
        svc.policies().requireObjectPath(path);
        MultipartParts.checkPartNumber(uploadId, partNumber);
        var u = requireUpload(path, uploadId);
        return new PartWriteSession(svc, pipeline.openPartWriter(new BeginRequest(path, u.policy(), u.writeReplicas(),
                svc.workerId(), List.of(), u.contentType(), u.userMetadata(), u.standardHeaders()), uploadId, partNumber));
    }

    ObjectInfo complete(NamespacePath path, String uploadId, List<PartRef> parts, Optional<ObjectChecksum> checksum) {
        svc.policies().requireObjectPath(path);
        if (catalog.multipart().upload(uploadId).isEmpty()) {
            return completedAgain(path, uploadId, parts);
        }
        var u = requireUpload(path, uploadId);
        if (parts.isEmpty()) {
            throw new WcacheException.InvalidArgument(uploadId, "a multipart upload needs at least one part");
        }
        Map<Integer, io.wcache.schema.catalog.PartInfo> stored = new HashMap<>();
        for (var p : catalog.multipart().parts(uploadId)) {
            stored.put(p.partNumber(), p);
        }
        List<CompletedPart> named = namedParts(uploadId, parts, stored);
        String etag = multipartEtag(named);
        boolean through = u.policy() == WritePolicy.WRITE_THROUGH;
        List<Extent> stitched = through ? stitched(named, stored) : List.of();
        long total = through ? named.stream().mapToLong(c -> stored.get(c.partNumber()).size()).sum() : 0;
        // No whole-object CRC32C is derived for an assembled object; each extent keeps its own.
        PathLocks.Mutex lock = svc.locks().of(path);
        lock.acquire().join();
        try {
            if (!u.versioning().isEmpty()) {
                svc.adoptUfsObject(path);
            }
            // WRITE_THROUGH is acknowledged only once the UFS holds it: the parts' bytes are uploaded,
            // in order, then committed, inside the persister's order for the path (as a single PUT is),
            // so an older version's background upload can never land after it.
            CompleteUploadResult result;
            try {
                result = through
                        ? svc.inPersistOrder(path, () -> {
                            svc.uploader().upload(path, stitched, total,
                                    new PutOptions(u.contentType(), u.userMetadata(), u.standardHeaders()));
                            return catalog.multipart().completeUpload(uploadId, named, etag, 0L, checksum);
                        })
                        : catalog.multipart().completeUpload(uploadId, named, etag, 0L, checksum);
            } catch (WcacheException.NotFound e) {
                // A concurrent completion of the same upload won: answer as it did, if the parts agree.
                return completedAgain(path, uploadId, parts);
            }
            retireByFile(result.discardedExtents());
            ObjectInfo info = svc.onCommitted(result.commit());
            List<Long> sizes = named.stream().map(c -> stored.get(c.partNumber()).size()).toList();
            return info.withParts(sizes, result.commit().committed().partChecksums());
        } finally {
            lock.release();
        }
    }

    /**
     * The parts a completion names, checked against the stored ones by {@link MultipartParts}:
     * ascending numbers, each uploaded with the ETag named, every part but the last at least
     * {@link MultipartParts#MIN_PART_BYTES}.
     */
    private static List<CompletedPart> namedParts(String uploadId, List<PartRef> parts,
                                                  Map<Integer, io.wcache.schema.catalog.PartInfo> stored) {
        Map<Integer, io.wcache.core.cache.PartInfo> byNumber = new HashMap<>();
        stored.forEach((n, p) -> byNumber.put(n, new io.wcache.core.cache.PartInfo(n, p.size(), p.etag(),
                p.createdTime())));
        MultipartParts.namingViolation(parts, byNumber).or(() -> MultipartParts.sizeViolation(parts, byNumber))
                .ifPresent(v -> {
                    throw v.toException(uploadId);
                });
        return parts.stream().map(ref -> new CompletedPart(ref.partNumber(), stored.get(ref.partNumber()).etag()))
                .toList();
    }

    /** S3's ETag of a multipart object: the MD5 of the parts' MD5s, then "-" and the number of parts. */
    private static String multipartEtag(List<CompletedPart> named) {
        MessageDigest md5 = Md5.newDigest();
        for (CompletedPart c : named) {
            md5.update(HexFormat.of().parseHex(c.etag()));
        }
        return HexFormat.of().formatHex(md5.digest()) + "-" + named.size();
    }

    /** The parts' extents as one object's, each shifted by the sizes of the parts before it (kept under the parts' file ids). */
    private List<Extent> stitched(List<CompletedPart> named, Map<Integer, io.wcache.schema.catalog.PartInfo> stored) {
        List<Extent> stitched = new ArrayList<>();
        long offset = 0;
        for (var c : named) {
            var p = stored.get(c.partNumber());
            for (Extent e : catalog.files().extents(p.fileId())) {
                stitched.add(new Extent(p.fileId(), offset + e.offset(), e.worker(), e.segment(), e.position(),
                        e.length(), e.crc32c()));
            }
            offset += p.size();
        }
        return stitched;
    }

    /**
     * A completion of an upload that is no longer in progress: if it was completed (and its record
     * is still kept) with the same part list, the answer is the first completion's, as S3 answers a
     * retried CompleteMultipartUpload; otherwise the upload does not exist.
     */
    private ObjectInfo completedAgain(NamespacePath path, String uploadId, List<PartRef> parts) {
        var done = catalog.multipart().completedUpload(uploadId).filter(c -> c.path().equals(path)).orElseThrow(() ->
                new WcacheException.NotFound(uploadId, "no multipart upload " + uploadId + " in progress"));
        List<CompletedPart> named = parts.stream().map(p -> new CompletedPart(p.partNumber(), p.etag())).toList();
        if (!done.completedWith(named)) {
            throw new WcacheException.NotFound(uploadId, "upload " + uploadId
                    + " was completed with a different part list; it is no longer in progress");
        }
        Optional<FileVersion> current = catalog.files().lookup(path);
        if (current.isPresent() && current.get().fileId() == done.fileId()) {
            return ObjectInfos.of(current.get());
        }
        // Superseded or deleted since: the answer still describes what the completion created.
        Resolution r = svc.policies().resolve(path);
        return new ObjectInfo(path, done.size(), done.etag(), done.completedTime(), null, Map.of(),
                r.policy() == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED, r.policy(),
                0, List.of(), Map.of());
    }

    void abort(NamespacePath path, String uploadId) {
        svc.policies().requireObjectPath(path);
        requireUpload(path, uploadId);
        retireByFile(catalog.multipart().abortUpload(uploadId));
    }

    /** Parts have distinct file ids: each one's extents are retired under its own id. */
    private void retireByFile(List<Extent> freed) {
        Map<Long, List<Extent>> byFile = new TreeMap<>();
        for (Extent e : freed) {
            byFile.computeIfAbsent(e.fileId(), k -> new ArrayList<>()).add(e);
        }
        byFile.forEach(svc.pins()::retire);
    }

    List<PartInfo> parts(NamespacePath path, String uploadId) {
        svc.policies().requireObjectPath(path);
        requireUpload(path, uploadId);
        return catalog.multipart().parts(uploadId).stream()
                .map(p -> new PartInfo(p.partNumber(), p.size(), p.etag(), p.createdTime(), p.checksum()))
                .toList();
    }

    List<MultipartUpload> uploads(String prefix) {
        return catalog.multipart().uploads(prefix, 10_000).stream()
                .map(u -> new MultipartUpload(u.path(), u.uploadId(), u.createdTime(), u.checksum()))
                .toList();
    }
}
