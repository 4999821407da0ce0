package io.wcache.worker.cache;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.VersionedDelete;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.LogStore;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.schema.catalog.UfsReplacement;
import io.wcache.schema.catalog.VersionedDeleteResult;
import io.wcache.worker.Persister;
import io.wcache.worker.persist.FileUploader;
import io.wcache.worker.sweep.UploadingSessions;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's {@link CacheService}: the policy semantics of the design, with each concern in a
 * class of its own. {@link PathPolicies} decides a path's policy and checks write conditions;
 * writes of caching policies go through the {@link WritePipeline} ({@link CachedWriteSession}),
 * {@code NO_CACHE} writes go to the UFS through a spool file ({@link NoCacheWriteSession}),
 * {@code READ_ONLY} refuses writes and deletes. Reads ({@link ObjectOpener}) use the committed
 * local copy, else the UFS, loading what they read into the cache as evictable data
 * ({@link ReadThroughLoader}). Listings ({@link MergedListing}) merge the Catalog (authoritative,
 * tombstones hide deleted paths) with the UFS. Multipart uploads are {@link MultipartOperations}.
 * Blocking work runs on the worker's I/O pool.
 */
public final class WorkerCacheService implements CacheService {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerCacheService.class);

    private final String workerId;
    private final Catalog catalog;
    private final WritePipeline pipeline;
    private final UfsRouter ufs;
    private final FileUploader uploader;
    private final ReaderPins pins;
    private final UploadingSessions uploading;
    private final Path spoolDir;
    private final ExecutorService io;
    private final PendingEtags pendingEtags = new PendingEtags();
    private volatile boolean etagAfterCommit = true;
    private final PathLocks locks = new PathLocks(1024);
    private final PathPolicies policies;
    private final ObjectOpener opener;
    private final ReadThroughLoader readThrough;
    private final MultipartOperations multipart;
    /** Each bucket's S3 versioning status (Enabled, Suspended; absent: never enabled), read at most once a second. */
    private final TtlCache<Map<String, String>> versioning;

    /**
     * The persister whose per-path ordering synchronous UFS writes join; set by the worker once
     * the persister runs (none: writes need no ordering with background uploads).
     */
    private volatile Persister persister;
    /**
     * Whether the Catalog is in this process (the embedded engine), so a read of it costs
     * microseconds and never waits for the network: small cached objects are then opened on the
     * caller's thread. Set by the worker.
     */
    private volatile boolean localMetadata;

    public WorkerCacheService(String workerId, Catalog catalog, LogStore store, WritePipeline pipeline,
                              UfsRouter ufs, FileUploader uploader, ReaderPins pins,
                              UploadingSessions uploading, PathConfig baseConfig, Path spoolDir,
                              ExecutorService io, long readThroughMaxBytes) {
        this.uploading = uploading;
        this.workerId = workerId;
        this.catalog = catalog;
        this.pipeline = pipeline;
        this.ufs = ufs;
        this.uploader = uploader;
        this.pins = pins;
        this.spoolDir = spoolDir;
        this.io = io;
        this.policies = new PathPolicies(catalog, ufs, baseConfig);
        this.opener = new ObjectOpener(this, catalog, store, io, readThroughMaxBytes);
        this.readThrough = new ReadThroughLoader(this, catalog, pipeline);
        this.multipart = new MultipartOperations(this, catalog, pipeline);
        this.versioning = new TtlCache<>(this::loadVersioning, 1_000_000_000L);
    }

    /** Says whether the Catalog is in this process (see {@link #localMetadata}). */
    public void localMetadata(boolean local) {
        this.localMetadata = local;
    }

    private Map<String, String> loadVersioning() {
        List<String> names = mounts().mounts().stream().map(m -> m.name()).toList();
        Map<String, String> out = new java.util.HashMap<>();
        catalog.accessControls().buckets(names).forEach((bucket, acl) -> {
            if (!acl.versioning().isEmpty()) {
                out.put(bucket, acl.versioning());
            }
        });
        return Map.copyOf(out);
    }

    /**
     * The S3 versioning status of {@code path}'s bucket for a write beginning now: {@code Enabled}
     * or {@code Suspended}, empty when never enabled. A write through another worker may see a
     * change up to a second late (docs/S3-COMPATIBILITY.md, Versioning).
     */
    String versioningOf(NamespacePath path) {
        return versioning.get().getOrDefault(path.mountName(), "");
    }

    /** A versioned bucket keeps versions of WRITE_BACK paths only: other policies are refused there. */
    String requireVersionable(NamespacePath path, WritePolicy policy) {
        String status = versioningOf(path);
        if (!status.isEmpty() && policy != WritePolicy.WRITE_BACK) {
            throw new WcacheException.InvalidArgument(path.toString(), "bucket " + path.mountName()
                    + " is versioned and keeps versions of WRITE_BACK paths only; this path's policy is " + policy);
        }
        return status;
    }

    // ---------------------------------------------------------------- collaborators for the parts and sessions

    String workerId() {
        return workerId;
    }

    Catalog catalog() {
        return catalog;
    }

    PathPolicies policies() {
        return policies;
    }

    ReadThroughLoader readThrough() {
        return readThrough;
    }

    FileUploader uploader() {
        return uploader;
    }

    ReaderPins pins() {
        return pins;
    }

    UploadingSessions uploading() {
        return uploading;
    }

    PathLocks locks() {
        return locks;
    }

    ExecutorService ioExecutor() {
        return io;
    }

    UnderFileSystem ufsFor(NamespacePath path) {
        return ufs.ufsFor(path);
    }

    ObjectInfo ufsInfo(NamespacePath path, UfsObject o) {
        return ObjectInfos.ofUfs(path, o, policies.resolve(path).policy());
    }

    public void usePersister(Persister persister) {
        this.persister = persister;
    }

    /** Runs a synchronous UFS write of {@code path} in order with the persister's uploads and deletes of it. */
    <T> T inPersistOrder(NamespacePath path, Supplier<T> action) {
        Persister p = persister;
        return p == null ? action.get() : p.exclusive(path, action);
    }

    // ---------------------------------------------------------------- policy and mounts

    @Override
    public MountTable mounts() {
        return policies.mounts();
    }

    @Override
    public CompletableFuture<Map<String, Instant>> mountCreationTimes() {
        List<String> names = mounts().mounts().stream().map(m -> m.name()).toList();
        return CompletableFuture.supplyAsync(() -> catalog.cluster().mountCreationTimes(names), io);
    }

    @Override
    public CompletableFuture<Optional<io.wcache.core.cache.AccessControl>> accessControl(String bucket, String name) {
        return CompletableFuture.supplyAsync(() -> catalog.accessControls().get(bucket, name), io);
    }

    @Override
    public CompletableFuture<Map<String, io.wcache.core.cache.AccessControl>> bucketAccessControls() {
        List<String> names = mounts().mounts().stream().map(m -> m.name()).toList();
        return CompletableFuture.supplyAsync(() -> catalog.accessControls().buckets(names), io);
    }

    @Override
    public CompletableFuture<Void> putAccessControl(String bucket, String name, io.wcache.core.cache.AccessControl acl) {
        return CompletableFuture.runAsync(() -> {
            catalog.accessControls().put(bucket, name, acl);
            if (name.isEmpty()) {
                versioning.invalidate();
            }
        }, io);
    }

    @Override
    public CompletableFuture<Void> deleteAccessControl(String bucket, String name) {
        return CompletableFuture.runAsync(() -> {
            catalog.accessControls().delete(bucket, name);
            if (name == null || name.isEmpty()) {
                versioning.invalidate();
            }
        }, io);
    }

    @Override
    public CompletableFuture<Optional<String>> bucketPolicy(String bucket) {
        return CompletableFuture.supplyAsync(() -> catalog.accessControls().policy(bucket), io);
    }

    @Override
    public CompletableFuture<Void> putBucketPolicy(String bucket, String policy) {
        return CompletableFuture.runAsync(() -> catalog.accessControls().putPolicy(bucket, policy), io);
    }

    @Override
    public CompletableFuture<Void> deleteBucketPolicy(String bucket) {
        return CompletableFuture.runAsync(() -> catalog.accessControls().deletePolicy(bucket), io);
    }

    @Override
    public Resolution resolvePolicy(NamespacePath path) {
        return policies.resolve(path);
    }

    /** Forgets the cached path rules so the next write sees a change at once (admin API, tests). */
    public void refreshPathConfig() {
        policies.refresh();
    }

    // ---------------------------------------------------------------- writes and deletes

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        // The common case reads nothing (cached path rules, a reserved file id): it runs on the caller,
        // sparing a thread hand-off per write. A conditional create (UFS HEAD) or stale rules go to the I/O pool.
        Map<String, String> statuses = versioning.fresh();
        if (!PathPolicies.conditional(options) && policies.fresh() && statuses != null
                && !statuses.containsKey(path.mountName())) {
            try {
                return CompletableFuture.completedFuture(createNow(path, options));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(() -> createNow(path, options), io);
    }

    private WriteSession createNow(NamespacePath path, WriteOptions options) {
        policies.requireObjectPath(path);
        Resolution r = policies.requireWritable(path);
        WritePolicy policy = r.policy();
        // Validated now: a WRITE_BACK commit must not be acknowledged with metadata the UFS would refuse later.
        PutOptions put = new PutOptions(options.contentType(), options.userMetadata(), options.standardHeaders());
        policies.checkWriteConditions(path, options);
        String versioned = requireVersionable(path, policy);
        if (!versioned.isEmpty()) {
            adoptUfsObject(path);
        }
        if (policy == WritePolicy.NO_CACHE) {
            return new NoCacheWriteSession(this, path, options, put, ufs.ufsFor(path), spoolDir);
        }
        SegmentWriter writer = pipeline.openWriter(new BeginRequest(path, policy, r.writeReplicas(), workerId,
                List.of(), options.contentType(), options.userMetadata(), options.standardHeaders(), options.tags(),
                versioned));
        // Only the commit is acknowledged, so only the commit needs the log synced: a large write's
        // records are not synced one batch at a time (docs/DECISIONS.md, "A write syncs at its commit").
        return new CachedWriteSession(this, writer.syncAtCommit(), options, put);
    }

    /**
     * Opens this worker's copy of version {@code ofFileId} of {@code path}, which another worker
     * writes under {@code policy} with {@code writeReplicas > 1} (see {@link CopyWriteSession}).
     */
    public CopyWriteSession openCopy(NamespacePath path, WritePolicy policy, long ofFileId) {
        if (!policy.pinsData()) {
            throw new WcacheException.InvalidArgument(path.toString(), "policy " + policy + " keeps no replicas");
        }
        SegmentWriter writer = pipeline.openCopyWriter(new BeginRequest(path, policy, 1, workerId, List.of(), "",
                Map.of()), ofFileId);
        return new CopyWriteSession(writer, pins);
    }

    /**
     * Reads the committed version of {@code path} from this worker's replica copy of it: the worker
     * holding the version's bytes cannot be reached. Unavailable when this worker holds no whole copy.
     */
    public CompletableFuture<ObjectReader> openCopy(NamespacePath path) {
        return CompletableFuture.supplyAsync(() -> opener.openCopy(path), io);
    }

    /** See {@link PathPolicies#checkWriteConditions}. */
    void checkWriteConditions(NamespacePath path, WriteOptions options) {
        policies.checkWriteConditions(path, options);
    }

    /**
     * Called by a {@code NO_CACHE} write right after it replaced the UFS object, inside the path's
     * persist order: the Catalog's older state of the path (a cached version, a pending upload or
     * delete) is dropped and the persister forgets queued work of the path, so neither a read nor a
     * queued upload brings the older object back.
     */
    void replacedInUfs(NamespacePath path) {
        UfsReplacement r = catalog.files().replacedInUfs(path);
        r.dropped().ifPresent(old -> pins.retire(old.fileId(), r.extents()));
        Persister p = persister;
        if (p != null) {
            p.replacedInUfs(path);
        }
        if (r.dropped().isPresent() || r.pendingTaskDropped()) {
            LOG.debug("event=cached_state_replaced_in_ufs path={} dropped_version={} dropped_task={}", path,
                    r.dropped().map(FileVersion::generation).orElse(0L), r.pendingTaskDropped());
        }
    }

    /** Called once a commit is in the Catalog: the superseded version's bytes go when no reader holds them. */
    ObjectInfo onCommitted(CommitResult r) {
        r.superseded().ifPresent(old -> pins.retire(old.fileId(), r.supersededExtents()));
        ObjectInfo info = ObjectInfos.of(r.committed());
        if (info.etagPending() && etagAfterCommit) {
            // A write that left its MD5 for later (the FUSE mount's): computed now, in the
            // background at the lowest priority, so an S3 client seldom has to wait for it.
            withEtag(info).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.debug("event=etag_after_commit_failed path={} generation={} error={}", info.path(),
                            info.generation(), e.toString());
                }
            });
        }
        return info;
    }

    /**
     * Records an ETag computed after the commit ({@link io.wcache.core.cache.Etags}) in the Catalog,
     * if the path's committed version is still {@code generation} and has none.
     */
    @Override
    public CompletableFuture<Optional<ObjectInfo>> recordEtag(NamespacePath path, long generation, String etag) {
        return CompletableFuture.supplyAsync(() -> catalog.files().setEtag(path, generation, etag).map(ObjectInfos::of), io);
    }

    /**
     * {@code info} with its ETag; one computation per version at a time, whoever asks (the
     * background fill after the commit, an S3 request), hashed on {@link PendingEtags#HASHING}.
     */
    @Override
    public CompletableFuture<ObjectInfo> withEtag(ObjectInfo info) {
        return pendingEtags.resolve(this, info);
    }

    /** Off: a write that leaves its ETag for later keeps it pending until an S3 client asks (tests). */
    public void computeEtagsAfterCommit(boolean on) {
        this.etagAfterCommit = on;
    }

    @Override
    public CompletableFuture<VersionedDelete> deleteVersioned(NamespacePath path, Optional<String> versionId) {
        if (versionId.isEmpty() && versioning.fresh() != null && versioningOf(path).isEmpty()) {
            return delete(path).thenApply(existed -> new VersionedDelete(existed, "", false));
        }
        return CompletableFuture.supplyAsync(() -> {
            policies.requireObjectPath(path);
            Resolution r = policies.requireWritable(path);
            String status = versioningOf(path);
            if (versionId.isEmpty() && status.isEmpty()) {
                return null; // not versioned: the plain delete below
            }
            PathLocks.Mutex lock = locks.of(path);
            lock.acquire().join();
            try {
                VersionedDeleteResult d;
                if (versionId.isPresent()) {
                    d = catalog.files().deleteVersion(path, versionId.get());
                } else {
                    requireVersionable(path, r.policy());
                    adoptUfsObject(path);
                    d = catalog.files().deleteWithMarker(path, status.equals(BeginRequest.ENABLED));
                }
                d.released().ifPresent(old -> pins.retire(old.fileId(), d.releasedExtents()));
                Persister p = persister;
                if (p != null && (d.tombstone().isPresent() || d.existed())) {
                    p.queued(); // the archive's and the path's object-store work
                }
                return d.version().map(v -> new VersionedDelete(d.existed(), v.versionId(), v.versioning().deleteMarker()))
                        .orElse(new VersionedDelete(d.existed(), versionId.orElse(""), false));
            } finally {
                lock.release();
            }
        }, io).thenCompose(v -> v != null ? CompletableFuture.completedFuture(v)
                : delete(path).thenApply(existed -> new VersionedDelete(existed, "", false)));
    }

    /**
     * In a versioned bucket, an object only the object store holds (written before versioning, by
     * another tool) is loaded into the cache before a new version or a delete marker supersedes it,
     * so it is kept as the null version. One that cannot be loaded (a {@code NO_CACHE} path, or
     * larger than the read-through limit) is refused rather than lost.
     */
    void adoptUfsObject(NamespacePath path) {
        if (catalog.files().lookup(path).isPresent() || catalog.files().tombstone(path).isPresent()) {
            return;
        }
        UnderFileSystem u = ufs.ufsFor(path);
        Optional<UfsObject> head = u.head(path.relativeToMount());
        if (head.isEmpty()) {
            return;
        }
        if (!opener.readsThrough(path, head.get().size()) || !readThrough.load(path, head.get(), u)) {
            throw new WcacheException.InvalidArgument(path.toString(), "the object-store object at " + path
                    + " predates versioning and cannot be loaded into the cache to be kept as its null version");
        }
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> archivedVersions(String bucket, String keyPrefix, String startAfter,
                                                                int limit) {
        return CompletableFuture.supplyAsync(() -> {
            mounts().resolve(NamespacePath.of("/" + bucket));
            String after = startAfter.isEmpty() ? "" : startAfter;
            return catalog.files().archivedVersions(bucket, keyPrefix, after,
                            Math.max(1, Math.min(limit, ListRequest.MAX_LIMIT)))
                    .files().stream().map(ObjectInfos::of).toList();
        }, io);
    }

    @Override
    public CompletableFuture<Boolean> delete(NamespacePath path) {
        return CompletableFuture.supplyAsync(() -> {
            policies.requireObjectPath(path);
            Resolution r = policies.requireWritable(path);
            UnderFileSystem u = ufs.ufsFor(path);
            if (r.policy() == WritePolicy.NO_CACHE && catalog.files().lookup(path).isEmpty()) {
                // In the path's persist order, like a NO_CACHE write: a running upload finishes first.
                return CompletableFuture.completedFuture(inPersistOrder(path, () -> {
                    boolean existed = u.head(path.relativeToMount()).isPresent();
                    u.delete(path.relativeToMount());
                    return existed;
                }));
            }
            boolean inUfs = catalog.files().tombstone(path).isEmpty() && u.head(path.relativeToMount()).isPresent();
            PathLocks.Mutex lock = locks.of(path);
            return lock.acquire().thenCompose(v -> {
                try {
                    return pipeline.delete(path).whenComplete((d, e) -> lock.release());
                } catch (RuntimeException e) {
                    lock.release();
                    throw e;
                }
            }).thenApply((DeleteResult d) -> {
                d.removed().ifPresent(old -> pins.retire(old.fileId(), d.extents()));
                return d.removed().isPresent() || inUfs;
            });
        }, io).thenCompose(f -> f);
    }

    // ---------------------------------------------------------------- reads

    @Override
    public CompletableFuture<Optional<ObjectInfo>> stat(NamespacePath path) {
        if (localMetadata) {
            // A version the Catalog holds is answered on the caller's thread (see open); the rest may ask the UFS.
            try {
                policies.requireObjectPath(path);
                Optional<FileVersion> v = catalog.files().lookup(path);
                if (v.isPresent()) {
                    return CompletableFuture.completedFuture(v.map(ObjectInfos::of));
                }
                return CompletableFuture.supplyAsync(() -> statUncached(path), io);
            } catch (RuntimeException e) {
                // Answered by the look-up below.
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            policies.requireObjectPath(path);
            Optional<FileVersion> v = catalog.files().lookup(path);
            return v.isPresent() ? v.map(ObjectInfos::of) : statUncached(path);
        }, io);
    }

    /** A path the Catalog holds no version of: hidden by a pending delete, else what the UFS has. */
    private Optional<ObjectInfo> statUncached(NamespacePath path) {
        if (catalog.files().tombstone(path).isPresent() || policies.cacheOnly(path) || ObjectVersions.isReserved(path)) {
            return Optional.empty();
        }
        return ufs.ufsFor(path).head(path.relativeToMount()).map(o -> ufsInfo(path, o));
    }

    @Override
    public CompletableFuture<ObjectReader> open(NamespacePath path) {
        PathStatus first = null;
        if (localMetadata) {
            // A small cached object costs one local Catalog read and one page-cache read: cheaper on
            // the caller's thread (an S3 event loop) than the two wake-ups of a hop to the I/O pool and back.
            // Anything else opens on the pool, from the status read here.
            try {
                policies.requireObjectPath(path);
                first = catalog.files().status(path);
                Optional<ObjectReader> small = opener.openSmallLocal(first);
                if (small.isPresent()) {
                    return CompletableFuture.completedFuture(small.get());
                }
            } catch (RuntimeException e) {
                first = null; // answered by the full open below, which meets the same condition and handles it
            }
        }
        PathStatus seen = first;
        return CompletableFuture.supplyAsync(() -> opener.open(path, seen), io);
    }

    /**
     * Tags are stored with the committed version in the Catalog. An object known only to the UFS is
     * first read through into the cache (as a read would), so that its tags have a version to live
     * with; one that cannot be (a {@code NO_CACHE} path, or larger than the read-through limit) is
     * refused with {@code InvalidArgument}.
     */
    @Override
    public CompletableFuture<ObjectInfo> setTags(NamespacePath path, Map<String, String> tags) {
        return CompletableFuture.supplyAsync(() -> {
            policies.requireObjectPath(path);
            for (int attempt = 0; attempt < 2; attempt++) {
                Optional<FileVersion> v = catalog.files().setTags(path, tags);
                if (v.isPresent()) {
                    return ObjectInfos.of(v.get());
                }
                if (attempt > 0 || catalog.files().tombstone(path).isPresent() || policies.cacheOnly(path)) {
                    break;
                }
                UnderFileSystem u = ufs.ufsFor(path);
                Optional<UfsObject> head = u.head(path.relativeToMount());
                if (head.isEmpty()) {
                    break;
                }
                if (!opener.readsThrough(path, head.get().size())) {
                    throw new WcacheException.InvalidArgument(path.toString(),
                            "tags are stored with the cached version; this object is read from the UFS only"
                                    + " (NO_CACHE path or larger than the read-through limit)");
                }
                readThrough.load(path, head.get(), u);
            }
            throw new WcacheException.NotFound(path.toString(), "no such object");
        }, io);
    }

    @Override
    public CompletableFuture<ListResult> list(ListQuery q) {
        return CompletableFuture.supplyAsync(() -> new MergedListing(this, catalog, q).page(), io);
    }

    /**
     * A committed version under the prefix answers at once: the Catalog is authoritative for what
     * it holds, so the merged listing shows it, and the UFS is not listed (a directory's attributes
     * are asked for often, and listing a large UFS prefix costs its store far more than one key).
     * Otherwise the merged listing decides, tombstones hiding what the UFS still shows.
     */
    @Override
    public CompletableFuture<Boolean> anyListed(NamespacePath mount, String prefix, Optional<NamespacePath> ignored) {
        return CompletableFuture.supplyAsync(() -> MergedListing.catalogHoldsAny(catalog, mount, prefix, ignored), io)
                .thenCompose(held -> held ? CompletableFuture.completedFuture(true)
                        : CacheService.super.anyListed(mount, prefix, ignored));
    }

    // ---------------------------------------------------------------- multipart

    @Override
    public CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options) {
        return CompletableFuture.supplyAsync(() -> multipart.create(path, options), io);
    }

    @Override
    public CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber) {
        return CompletableFuture.supplyAsync(() -> multipart.uploadPart(path, uploadId, partNumber), io);
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts) {
        return completeMultipart(path, uploadId, parts, Optional.empty());
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts,
                                                           Optional<ObjectChecksum> checksum) {
        return CompletableFuture.supplyAsync(() -> multipart.complete(path, uploadId, parts, checksum), io);
    }

    @Override
    public CompletableFuture<MultipartUpload> multipartUpload(NamespacePath path, String uploadId) {
        return CompletableFuture.supplyAsync(() -> multipart.upload(path, uploadId), io);
    }

    @Override
    public CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId) {
        return CompletableFuture.runAsync(() -> multipart.abort(path, uploadId), io);
    }

    @Override
    public CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId) {
        return CompletableFuture.supplyAsync(() -> multipart.parts(path, uploadId), io);
    }

    @Override
    public CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix) {
        return CompletableFuture.supplyAsync(() -> multipart.uploads(prefix), io);
    }

    // ---------------------------------------------------------------- futures

    /** The cause of a failed future's exception. */
    public static Throwable unwrap(Throwable e) {
        return FailureCause.of(e);
    }

    /**
     * Fails with {@code e} (as a {@link WcacheException}; anything else becomes {@code Unavailable},
     * "{@code what} failed") once a write's {@code abort} has settled: the refused writer hears back
     * only after the write's space is released, so a retry (or a stat of the space) right after the
     * refusal does not see space held by the write it was just refused.
     */
    static <T> CompletableFuture<T> failAfter(CompletableFuture<Void> abort, Throwable e, NamespacePath path, String what) {
        Throwable cause = unwrap(e);
        WcacheException failure = cause instanceof WcacheException w ? w
                : new WcacheException.Unavailable(path.toString(), what + " failed: " + cause, cause);
        return abort.handle((v, x) -> null).thenCompose(v -> CompletableFuture.failedFuture(failure));
    }

    /** Joins a future, rethrowing its typed failure (for blocking callers and tests). */
    public static <T> T await(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            Throwable c = unwrap(e);
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
