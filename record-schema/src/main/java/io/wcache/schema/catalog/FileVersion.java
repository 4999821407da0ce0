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
 * One version of a file as the Catalog stores it: a write session ({@link FileState#WRITING})
 * or the committed version of its path. {@code generation} increases with every commit to a
 * path (a session carries a provisional one until it commits); {@code fileId} is unique across
 * the whole catalog and never reused. {@code partSizes} lists the part sizes of an object completed
 * from a multipart upload (empty otherwise). {@code standardHeaders} are the object's stored
 * {@link StandardHeaders} (Cache-Control, ...), keyed in lower case; {@code tags} its S3 object tags;
 * {@code checksum} its flexible checksum, if it was stored with one, and {@code partChecksums} a
 * multipart object's per-part checksums (base64, in part order). {@code damage} is empty unless
 * the version's cached bytes failed their checksum while the UFS does not hold it (see
 * {@link Catalog#markDamaged}); it then says what failed, and reads of the version fail.
 */
public record FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                          PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                          String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                          Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                          String ownerWorker, List<String> replicaWorkers, List<Long> partSizes,
                          Map<String, String> standardHeaders, String damage, Map<String, String> tags,
                          Optional<ObjectChecksum> checksum, List<String> partChecksums, VersionState versioning) {

    public FileVersion {
        versioning = versioning == null ? VersionState.NONE : versioning;
        damage = damage == null ? "" : damage;
        userMetadata = Map.copyOf(userMetadata);
        replicaWorkers = List.copyOf(replicaWorkers);
        partSizes = partSizes == null ? List.of() : List.copyOf(partSizes);
        standardHeaders = StandardHeaders.of(standardHeaders);
        tags = tags == null ? Map.of() : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tags));
        checksum = checksum == null ? Optional.empty() : checksum;
        partChecksums = partChecksums == null ? List.of() : List.copyOf(partChecksums);
    }

    /** A version of a bucket that never had versioning enabled. */
    public FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                       PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                       String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                       Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                       String ownerWorker, List<String> replicaWorkers, List<Long> partSizes,
                       Map<String, String> standardHeaders, String damage, Map<String, String> tags,
                       Optional<ObjectChecksum> checksum, List<String> partChecksums) {
        this(path, fileId, generation, state, persistState, policy, writeReplicas, size, etag, crc32c, contentType,
                userMetadata, createdTime, lastWriteTime, committedTime, ownerWorker, replicaWorkers, partSizes,
                standardHeaders, damage, tags, checksum, partChecksums, VersionState.NONE);
    }

    /** A version without a checksum. */
    public FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                       PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                       String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                       Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                       String ownerWorker, List<String> replicaWorkers, List<Long> partSizes,
                       Map<String, String> standardHeaders, String damage, Map<String, String> tags) {
        this(path, fileId, generation, state, persistState, policy, writeReplicas, size, etag, crc32c, contentType,
                userMetadata, createdTime, lastWriteTime, committedTime, ownerWorker, replicaWorkers, partSizes,
                standardHeaders, damage, tags, Optional.empty(), List.of());
    }

    /** A version without tags. */
    public FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                       PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                       String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                       Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                       String ownerWorker, List<String> replicaWorkers, List<Long> partSizes,
                       Map<String, String> standardHeaders, String damage) {
        this(path, fileId, generation, state, persistState, policy, writeReplicas, size, etag, crc32c, contentType,
                userMetadata, createdTime, lastWriteTime, committedTime, ownerWorker, replicaWorkers, partSizes,
                standardHeaders, damage, Map.of());
    }

    /** An intact version. */
    public FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                       PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                       String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                       Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                       String ownerWorker, List<String> replicaWorkers, List<Long> partSizes,
                       Map<String, String> standardHeaders) {
        this(path, fileId, generation, state, persistState, policy, writeReplicas, size, etag, crc32c, contentType,
                userMetadata, createdTime, lastWriteTime, committedTime, ownerWorker, replicaWorkers, partSizes,
                standardHeaders, "");
    }

    /** A version without standard headers. */
    public FileVersion(NamespacePath path, long fileId, long generation, FileState state,
                       PersistState persistState, WritePolicy policy, int writeReplicas, long size,
                       String etag, long crc32c, String contentType, Map<String, String> userMetadata,
                       Instant createdTime, Instant lastWriteTime, Optional<Instant> committedTime,
                       String ownerWorker, List<String> replicaWorkers, List<Long> partSizes) {
        this(path, fileId, generation, state, persistState, policy, writeReplicas, size, etag, crc32c, contentType,
                userMetadata, createdTime, lastWriteTime, committedTime, ownerWorker, replicaWorkers, partSizes, Map.of());
    }

    /** The S3 version id: empty for the null version. */
    public String versionId() {
        return versioning.versionId();
    }

    public SessionRef ref() {
        return new SessionRef(path, fileId);
    }

    /** The owner followed by the replicas: every worker that holds a copy of the bytes. */
    public List<String> holders() {
        if (replicaWorkers.isEmpty()) {
            return List.of(ownerWorker);
        }
        java.util.ArrayList<String> all = new java.util.ArrayList<>();
        all.add(ownerWorker);
        for (String r : replicaWorkers) {
            if (!all.contains(r)) {
                all.add(r);
            }
        }
        return all;
    }

    /** Whether this version's cached bytes are known to be damaged while the UFS does not hold it. */
    public boolean damaged() {
        return !damage.isEmpty();
    }

    /** Whether this version's bytes count as pinned (unevictable) on its holders. */
    public boolean pinned() {
        return persistState != PersistState.PERSISTED;
    }
}
