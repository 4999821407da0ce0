package io.wcache.s3.xml;

import io.wcache.s3.checksum.ChecksumAlgorithm;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The values carried by S3 XML documents, as small immutable records: what handlers fill in to
 * write responses ({@link S3XmlWriter}) and what request bodies parse into ({@link S3XmlParser}).
 */
public final class S3XmlModel {
    private S3XmlModel() {
    }

    /** A bucket owner ({@code <Owner>}). */
    public record Owner(String id, String displayName) {
    }

    /** One bucket of ListBuckets. */
    public record BucketEntry(String name, Instant creationDate) {
    }

    /** One object of a listing. */
    public record ObjectEntry(String key, Instant lastModified, String etag, long size, String storageClass) {
    }

    /**
     * One page of a listing.
     *
     * @param contents       objects, in key order
     * @param commonPrefixes rolled-up prefixes, in order
     * @param truncated      whether more follow
     * @param next           v1 {@code NextMarker} / v2 {@code NextContinuationToken}, when truncated
     */
    public record ListPage(List<ObjectEntry> contents, List<String> commonPrefixes, boolean truncated,
                           Optional<String> next) {
        public ListPage {
            contents = List.copyOf(contents);
            commonPrefixes = List.copyOf(commonPrefixes);
        }
    }

    /** One part of ListParts. */
    public record PartEntry(int partNumber, Instant lastModified, String etag, long size,
                            java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        public PartEntry {
            checksum = checksum == null ? java.util.Optional.empty() : checksum;
        }

        public PartEntry(int partNumber, Instant lastModified, String etag, long size) {
            this(partNumber, lastModified, etag, size, java.util.Optional.empty());
        }
    }

    /** One in-progress upload of ListMultipartUploads. */
    public record UploadEntry(String key, String uploadId, Instant initiated) {
    }

    /** A part listed in a CompleteMultipartUpload body. */
    public record CompletedPart(int partNumber, String etag, Map<ChecksumAlgorithm, String> checksums) {
        public CompletedPart {
            checksums = Map.copyOf(checksums);
        }
    }

    /** A parsed CompleteMultipartUpload body: parts in strictly ascending part-number order. */
    public record CompleteMultipartUpload(List<CompletedPart> parts) {
        public CompleteMultipartUpload {
            parts = List.copyOf(parts);
        }
    }

    /** An object named in a DeleteObjects body. */
    public record ObjectIdentifier(String key, Optional<String> versionId) {
    }

    /** A parsed DeleteObjects body. */
    public record DeleteRequest(List<ObjectIdentifier> objects, boolean quiet) {
        public DeleteRequest {
            objects = List.copyOf(objects);
        }
    }

    /** A failed key of DeleteObjects. */
    public record DeleteError(String key, String code, String message) {
    }

    /** The outcome of DeleteObjects. */
    /**
     * What DeleteObjects did to one key of a versioned bucket: the version named ({@code versionId},
     * empty if none), and the delete marker made or removed (empty if none).
     */
    public record Deleted(String key, String versionId, boolean deleteMarker, String deleteMarkerVersionId) {
    }

    public record DeleteResult(List<String> deleted, List<DeleteError> errors, List<Deleted> versions) {
        /** A result naming only the keys deleted. */
        public DeleteResult(List<String> deleted, List<DeleteError> errors) {
            this(deleted, errors, List.of());
        }

        public DeleteResult {
            deleted = List.copyOf(deleted);
            errors = List.copyOf(errors);
            versions = List.copyOf(versions);
        }
    }
}
