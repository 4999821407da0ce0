package io.wcache.worker.admin;

import java.util.List;
import java.util.Map;

/**
 * The JSON documents of the admin API, as records Jackson writes field by field. Times are
 * ISO-8601 strings and sizes are bytes, so any client can read them without a schema.
 */
public final class AdminViews {

    private AdminViews() {
    }

    public record Info(String version, boolean writeCacheEnabled, String metadataEngine, String workerId,
                       List<WorkerView> workers, List<MountView> mounts, CacheStat capacity) {
    }

    public record WorkerView(String id, String address, long capacityBytes, String heartbeat, String started) {
    }

    /**
     * One cluster member as {@code wcadm worker list} shows it: state is {@code live}, {@code draining}
     * or {@code dead} (lease lapsed); ringShare is its share of the hash ring (0 unless live);
     * running is whether it runs in this process, for a one-process cluster (null otherwise).
     */
    public record ClusterWorkerView(String name, String s3Address, String adminAddress, String state,
                                    String lastHeartbeat, String leaseExpiry, double ringShare, long pinnedBytes,
                                    Boolean running) {
    }

    public record MountView(String path, String ufs, Map<String, String> options, String source) {
    }

    public record RuleView(String path, String policy, int writeReplicas) {
    }

    public record PathConfigView(String defaultPolicy, int defaultWriteReplicas, boolean writeCacheEnabled,
                                 List<RuleView> rules, String document) {
    }

    public record ResolveView(String path, String policyMode, int writeReplicas, String matchedRule,
                              boolean usedDefault, String explanation) {
    }

    public record Updated(String message) {
    }

    public record PersistStat(long queued, long inFlight, long retrying, long failedAttempts, long persisted,
                              Double oldestPendingAgeSeconds, long bytesPending, double throughputBytesPerSecond) {
    }

    /**
     * {@code state}: what this worker's persister is doing with the operation (QUEUED, DEFERRED: an
     * upload waiting for a pause in writes, IN_FLIGHT, RETRYING, DURABLE: only in the durable queue).
     */
    public record PendingRow(String path, String kind, long size, int attempts, String nextAttempt,
                             String lastError, String leaseOwner, String enqueued, String state) {
    }

    /** {@code etagPending}: the file was written through the FUSE mount and its MD5 is still being computed. */
    public record FileView(String path, String type, long size, String modified, String state, String persistState,
                           String policy, String etag, boolean etagPending, long generation) {
    }

    public record Listing(String path, List<FileView> entries, boolean truncated) {
    }

    /** An orphan: a write session ({@code uploadId} null), or a multipart upload ({@code fileId} 0, size of its parts). */
    public record SessionView(String path, long fileId, long size, String created, String lastWrite, String owner,
                              String uploadId) {
    }

    public record CacheStat(long capacityBytes, long usedBytes, long freeBytes, long pinnedBytes, long pinnedCapBytes,
                            long evictableBytes, int segments, List<DirStat> directories) {
    }

    public record DirStat(String path, long capacityBytes, long usedBytes, int segments) {
    }

    /** One NDJSON line of a long operation: progress lines, then one line with {@code done=true}. */
    public record Progress(String operation, boolean done, long processed, long total, long bytes, String current,
                           String message, List<WorkerFreed> workers) {
        public Progress(String operation, boolean done, long processed, long total, long bytes, String current,
                        String message) {
            this(operation, done, processed, total, bytes, current, message, null);
        }
    }

    /**
     * One worker's part in a {@code fs free} (on its last progress line): the cached bytes of the
     * freed files it held, the segment-file bytes its reclaim pass freed, or why it was not reached.
     */
    public record WorkerFreed(String worker, long releasedBytes, long freedSegmentBytes, String error) {
    }
}
