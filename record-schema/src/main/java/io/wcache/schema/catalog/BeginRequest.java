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
 * type, user metadata, {@link StandardHeaders standard headers} and tags (S3 object tagging), which the committed version keeps,
 * and the bucket's versioning status ({@link #ENABLED}: the version gets an id; either status: its commit
 * keeps the version it supersedes).
 */
public record BeginRequest(NamespacePath path, WritePolicy policy, int writeReplicas, String ownerWorker,
                           List<String> replicaWorkers, String contentType, Map<String, String> userMetadata,
                           Map<String, String> standardHeaders, Map<String, String> tags, String versioning) {

    public BeginRequest {
        versioning = versioning == null ? "" : versioning;
        if (!versioning.isEmpty() && !versioning.equals(ENABLED) && !versioning.equals(SUSPENDED)) {
            throw new IllegalArgumentException("versioning " + versioning + " is neither Enabled nor Suspended");
        }
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(ownerWorker, "ownerWorker");
        replicaWorkers = List.copyOf(replicaWorkers);
        contentType = contentType == null ? "" : contentType;
        userMetadata = Map.copyOf(userMetadata);
        standardHeaders = StandardHeaders.of(standardHeaders);
        tags = tags == null ? Map.of() : new java.util.TreeMap<>(tags);
    }

    /** S3 bucket versioning statuses a session may be opened under (empty: never enabled). */
    public static final String ENABLED = "Enabled";
    public static final String SUSPENDED = "Suspended";

    /** A request of a bucket that never had versioning enabled. */
    public BeginRequest(NamespacePath path, WritePolicy policy, int writeReplicas, String ownerWorker,
                        List<String> replicaWorkers, String contentType, Map<String, String> userMetadata,
                        Map<String, String> standardHeaders, Map<String, String> tags) {
        this(path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata, standardHeaders, tags,
                "");
    }

    /** The same request under the bucket versioning status {@code status} (empty: never enabled). */
    public BeginRequest withVersioning(String status) {
        return new BeginRequest(path, policy, writeReplicas, ownerWorker, replicaWorkers, contentType, userMetadata,
                standardHeaders, tags, status);
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
