package io.wcache.schema.catalog;

import io.wcache.core.cache.StandardHeaders;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a write session is opened with: the path, the policy resolved when the write started
 * (one of the caching policies), the workers that will hold its bytes, and the object's content
 * type, user metadata, {@link StandardHeaders standard headers} and tags (S3 object tagging), which the committed version keeps.
 */
public record BeginRequest(NamespacePath path, WritePolicy policy, int writeReplicas, String ownerWorker,
                           List<String> replicaWorkers, String contentType, Map<String, String> userMetadata,
                           Map<String, String> standardHeaders, Map<String, String> tags) {

    public BeginRequest {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(ownerWorker, "ownerWorker");
        replicaWorkers = List.copyOf(replicaWorkers);
        contentType = contentType == null ? "" : contentType;
        userMetadata = Map.copyOf(userMetadata);
        standardHeaders = StandardHeaders.of(standardHeaders);
        tags = tags == null ? Map.of() : new java.util.TreeMap<>(tags);
    }

    /** A request without tags. */
    public BeginRequest(NamespacePath path, WritePolicy policy, int writeReplicas, String ownerWorker,
                        List<String> replicaWorkers, String contentType, Map<String, String> userMetadata,
                        Map<String, String> standardHeaders) {
        this(path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, standardHeaders,
                Map.of());
    }

    /** A request without standard headers. */
    public BeginRequest(NamespacePath path, WritePolicy policy, int writeReplicas, String ownerWorker,
                        List<String> replicaWorkers, String contentType, Map<String, String> userMetadata) {
        this(path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, Map.of());
    }

    /** A single-replica session with no content type or user metadata. */
    public static BeginRequest of(NamespacePath path, WritePolicy policy, String ownerWorker) {
        return new BeginRequest(path, policy, 1, ownerWorker, List.of(), "", Map.of());
    }
}
