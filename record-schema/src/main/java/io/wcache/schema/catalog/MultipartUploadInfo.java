package io.wcache.schema.catalog;

import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.StandardHeaders;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An S3 multipart upload in progress: the path it will create, the policy resolved when it was
 * created, the workers holding its parts and the object's content type, user metadata and
 * {@link StandardHeaders standard headers} and tags (the completed object keeps them, as in S3), and
 * the checksum algorithm and type it was created with, if any (no value), and the bucket's versioning
 * status when it was created (empty: never enabled).
 */
public record MultipartUploadInfo(String uploadId, NamespacePath path, WritePolicy policy, int writeReplicas,
                                  String ownerWorker, List<String> replicaWorkers, String contentType,
                                  Map<String, String> userMetadata, Instant createdTime,
                                  Map<String, String> standardHeaders, Map<String, String> tags,
                                  Optional<ObjectChecksum> checksum, String versioning) {

    /** An upload of a bucket that never had versioning enabled. */
    public MultipartUploadInfo(String uploadId, NamespacePath path, WritePolicy policy, int writeReplicas,
                               String ownerWorker, List<String> replicaWorkers, String contentType,
                               Map<String, String> userMetadata, Instant createdTime,
                               Map<String, String> standardHeaders, Map<String, String> tags,
                               Optional<ObjectChecksum> checksum) {
        this(uploadId, path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, createdTime,
                standardHeaders, tags, checksum, "");
    }

    public MultipartUploadInfo {
        versioning = versioning == null ? "" : versioning;
        replicaWorkers = List.copyOf(replicaWorkers);
        userMetadata = Map.copyOf(userMetadata);
        standardHeaders = StandardHeaders.of(standardHeaders);
        tags = tags == null ? Map.of() : new java.util.TreeMap<>(tags);
        checksum = checksum == null ? Optional.empty() : checksum;
    }

    /** An upload without a checksum algorithm. */
    public MultipartUploadInfo(String uploadId, NamespacePath path, WritePolicy policy, int writeReplicas,
                               String ownerWorker, List<String> replicaWorkers, String contentType,
                               Map<String, String> userMetadata, Instant createdTime,
                               Map<String, String> standardHeaders, Map<String, String> tags) {
        this(uploadId, path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, createdTime,
                standardHeaders, tags, Optional.empty());
    }

    /** An upload without tags. */
    public MultipartUploadInfo(String uploadId, NamespacePath path, WritePolicy policy, int writeReplicas,
                               String ownerWorker, List<String> replicaWorkers, String contentType,
                               Map<String, String> userMetadata, Instant createdTime,
                               Map<String, String> standardHeaders) {
        this(uploadId, path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, createdTime,
                standardHeaders, Map.of());
    }

    /** An upload without standard headers. */
    public MultipartUploadInfo(String uploadId, NamespacePath path, WritePolicy policy, int writeReplicas,
                               String ownerWorker, List<String> replicaWorkers, String contentType,
                               Map<String, String> userMetadata, Instant createdTime) {
        this(uploadId, path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, createdTime,
                Map.of());
    }
}
