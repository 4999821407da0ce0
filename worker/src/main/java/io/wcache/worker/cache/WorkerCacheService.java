package io.wcache.worker.cache;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.digest.Md5;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.pipeline.WritePipeline;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsKeys;
import io.wcache.persister.ufs.UfsListing;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListPage;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.UfsReplacement;
import io.wcache.schema.catalog.WriteCondition;
import io.wcache.worker.persist.ExtentReads;
import io.wcache.worker.persist.FileUploader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's {@link CacheService}: the policy semantics of the design in one place. Writes of
 * caching policies go through the {@link WritePipeline}; {@code NO_CACHE} writes go to the UFS
 * through a spool file; {@code READ_ONLY} refuses writes and deletes. Reads use the committed
 * local copy, else the UFS, loading what they read into the cache as evictable data. Listings
 * merge the Catalog (authoritative, tombstones hide deleted paths) with the UFS.
 */
public final class WorkerCacheService implements CacheService {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerCacheService.class);
    private static final long PATH_CONFIG_TTL_NANOS = 1_000_000_000L;
    private static final int OPEN_ATTEMPTS = 5;

    private final String workerId;
    private final Catalog catalog;
    private final LogStore store;
    private final WritePipeline pipeline;
    private final UfsRouter ufs;
    private final FileUploader uploader;
    private final ReaderPins pins;
    private final io.wcache.worker.sweep.UploadingSessions uploading;
    private final Path spoolDir;
    private final ExecutorService io;
    private final long readThroughMaxBytes;
    private final PathLocks locks = new PathLocks(1024);
    private final TtlCache<PathConfig> pathConfig;

    public WorkerCacheService(String workerId, Catalog catalog, LogStore store, WritePipeline pipeline,
                              UfsRouter ufs, FileUploader uploader, ReaderPins pins,
                              io.wcache.worker.sweep.UploadingSessions uploading, PathConfig baseConfig, Path spoolDir,
                              ExecutorService io, long readThroughMaxBytes) {
        this.uploading = uploading;
        this.workerId = workerId;
        this.catalog = catalog;
        this.store = store;
        this.pipeline = pipeline;
        this.ufs = ufs;
        this.uploader = uploader;
        this.pins = pins;
        this.pathConfig = new TtlCache<>(() -> catalog.cluster().pathConfig(baseConfig), PATH_CONFIG_TTL_NANOS);
        this.spoolDir = spoolDir;
        this.io = io;
        this.readThroughMaxBytes = readThroughMaxBytes;
    }

    // ---------------------------------------------------------------- collaborators for sessions

    FileUploader uploader() {
        return uploader;
    }

    ReaderPins pins() {
        return pins;
    }

    io.wcache.worker.sweep.UploadingSessions uploading() {
        return uploading;
    }

    /**
     * The persister whose per-path ordering synchronous UFS writes join; set by the worker once
     * the persister runs (none: writes need no ordering with background uploads).
     */
    private volatile io.wcache.worker.Persister persister;

    public void usePersister(io.wcache.worker.Persister persister) {
        this.persister = persister;
    }

    /** Runs a synchronous UFS write of {@code path} in order with the persister's uploads and deletes of it. */
    <T> T inPersistOrder(NamespacePath path, java.util.function.Supplier<T> action) {
        io.wcache.worker.Persister p = persister;
        return p == null ? action.get() : p.exclusive(path, action);
    }

    PathLocks locks() {
        return locks;
    }

    ExecutorService ioExecutor() {
        return io;
    }

    // ---------------------------------------------------------------- policy and mounts

    @Override
    public MountTable mounts() {
        return ufs.mounts();
    }

    @Override
    public CompletableFuture<Map<String, java.time.Instant>> mountCreationTimes() {
        List<String> names = mounts().mounts().stream().map(m -> m.name()).toList();
        return CompletableFuture.supplyAsync(() -> catalog.cluster().mountCreationTimes(names), io);
    }

    @Override
    public Resolution resolvePolicy(NamespacePath path) {
        return pathConfig.get().resolve(path);
    }

    /** Forgets the cached path rules so the next write sees a change at once (admin API, tests). */
    public void refreshPathConfig() {
        pathConfig.invalidate();
    }

    private void requireObjectPath(NamespacePath path) {
        mounts().resolve(path);
        if (path.depth() < 2) {
            throw new WcacheException.InvalidPath(path.toString(), "an object path is /<mount>/<key>");
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        // The common case reads nothing (cached path rules, a reserved file id): it runs on the caller,
        // sparing a thread hand-off per write. A conditional create (UFS HEAD) or stale rules go to the I/O pool.
        if (!conditional(options) && pathConfig.fresh() != null) {
            try {
                return CompletableFuture.completedFuture(createNow(path, options));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(() -> createNow(path, options), io);
    }

    private WriteSession createNow(NamespacePath path, WriteOptions options) {
        requireObjectPath(path);
        Resolution r = resolvePolicy(path);
        WritePolicy policy = r.policy();
        if (!policy.acceptsWrites()) {
            throw new WcacheException.ReadOnly(path.toString(), "path is READ_ONLY (" + r.explanation() + ")");
        }
        // Validated now: a WRITE_BACK commit must not be acknowledged with metadata the UFS would refuse later.
        PutOptions put = new PutOptions(options.contentType(), options.userMetadata(), options.standardHeaders());
        checkWriteConditions(path, options);
        if (policy == WritePolicy.NO_CACHE) {
            return new NoCacheWriteSession(this, path, options, put, ufs.ufsFor(path), spoolDir);
        }
        SegmentWriter writer = pipeline.openWriter(new BeginRequest(path, policy, r.writeReplicas(), workerId,
                List.of(), options.contentType(), options.userMetadata(), options.standardHeaders(), options.tags()));
        return new CachedWriteSession(this, writer, options, put);
    }

    private static boolean conditional(WriteOptions options) {
        return options.ifNoneMatch() || !options.ifMatch().isEmpty();
    }

    /** The condition a write's commit checks in its Catalog transaction. */
    static WriteCondition conditionOf(WriteOptions options) {
        if (options.ifNoneMatch()) {
            return WriteCondition.absent();
        }
        return options.ifMatch().isEmpty() ? WriteCondition.NONE : WriteCondition.ifMatch(options.ifMatch());
    }

    /**
     * Checks a conditional write against the path's current object wherever it is (the Catalog,
     * else the UFS): when the write is created, and again right before a synchronous UFS write
     * ({@code WRITE_THROUGH}, {@code NO_CACHE}) under the path's lock. The Catalog commit checks the
     * cached part once more in its own transaction, which is what makes racing creators atomic.
     */
    void checkWriteConditions(NamespacePath path, WriteOptions options) {
        if (!conditional(options)) {
            return;
        }
        Optional<String> etag = currentEtag(path);
        if (options.ifNoneMatch() && etag.isPresent()) {
            throw new WcacheException.AlreadyExists(path.toString(), "object exists");
        }
        WriteCondition c = conditionOf(options);
        if (!c.etagMatch().isEmpty() && etag.isEmpty()) {
            // As S3: If-Match on a key that does not exist is 404 NoSuchKey, not a failed precondition.
            throw new WcacheException.NotFound(path.toString(), "no object to match If-Match");
        }
        if (!c.etagMatch().isEmpty() && !c.matches(etag.get())) {
            throw new WcacheException.Conflict(path.toString(), "object's ETag is " + etag.get() + ", not one of "
                    + c.etagMatch());
        }
    }

    /** The ETag of the path's current object: the Catalog's version, none if deleted, else the UFS object's. */
    private Optional<String> currentEtag(NamespacePath path) {
        Optional<FileVersion> v = catalog.files().lookup(path);
        if (v.isPresent()) {
            return Optional.of(v.get().etag());
        }
        if (catalog.files().tombstone(path).isPresent()) {
            return Optional.empty();
        }
        return ufs.ufsFor(path).head(path.relativeToMount()).map(UfsObject::etag);
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
        io.wcache.worker.Persister p = persister;
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
        return toInfo(r.committed());
    }

    @Override
    public CompletableFuture<Boolean> delete(NamespacePath path) {
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            Resolution r = resolvePolicy(path);
            if (!r.policy().acceptsWrites()) {
                throw new WcacheException.ReadOnly(path.toString(), "path is READ_ONLY (" + r.explanation() + ")");
            }
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
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            Optional<FileVersion> v = catalog.files().lookup(path);
            if (v.isPresent()) {
                return v.map(this::toInfo);
            }
            if (catalog.files().tombstone(path).isPresent() || cacheOnly(path)) {
                return Optional.<ObjectInfo>empty();
            }
            return ufs.ufsFor(path).head(path.relativeToMount()).map(o -> ufsInfo(path, o));
        }, io);
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
            requireObjectPath(path);
            for (int attempt = 0; attempt < 2; attempt++) {
                Optional<FileVersion> v = catalog.files().setTags(path, tags);
                if (v.isPresent()) {
                    return toInfo(v.get());
                }
                if (attempt > 0 || catalog.files().tombstone(path).isPresent() || cacheOnly(path)) {
                    break;
                }
                UnderFileSystem u = ufs.ufsFor(path);
                Optional<UfsObject> head = u.head(path.relativeToMount());
                if (head.isEmpty()) {
                    break;
                }
                if (resolvePolicy(path).policy() == WritePolicy.NO_CACHE || head.get().size() > readThroughMaxBytes) {
                    throw new WcacheException.InvalidArgument(path.toString(),
                            "tags are stored with the cached version; this object is read from the UFS only"
                                    + " (NO_CACHE path or larger than the read-through limit)");
                }
                loadFromUfs(path, head.get(), u);
            }
            throw new WcacheException.NotFound(path.toString(), "no such object");
        }, io);
    }

    @Override
    public CompletableFuture<ObjectReader> open(NamespacePath path) {
        return CompletableFuture.supplyAsync(() -> openNow(path), io);
    }

    /**
     * A read met a record of {@code v} that failed its check. A persisted version is read from the
     * UFS from now on (its local extents are dropped); any other is marked damaged in the Catalog
     * and the read fails saying so. Nothing in the UFS is touched either way.
     */
    private ObjectReader corruptRead(FileVersion v, List<Extent> extents, UnderFileSystem u, String key,
                                     WcacheException.Corruption c) {
        if (v.persistState() == PersistState.PERSISTED) {
            for (Extent e : extents) {
                if (catalog.locations().replaceExtent(e, null)) {
                    store.release(ExtentCodec.toLocation(e));
                }
            }
            LOG.warn("event=damaged_version_served_from_ufs path={} file={} generation={} damage=\"{}\"", v.path(),
                    v.fileId(), v.generation(), c.getMessage());
            return new UfsObjectReader(toInfo(v), u, key, io);
        }
        String damage = "record failed its check on read: " + c.getMessage();
        Optional<List<Extent>> removed = catalog.files().markDamaged(v.ref(), damage);
        if (removed.isPresent()) {
            for (Extent e : removed.get()) {
                store.release(ExtentCodec.toLocation(e));
            }
            LOG.error("event=version_damaged path={} file={} generation={} persist_state={} damage=\"{}\" "
                    + "action=\"reads fail until the object is deleted or overwritten\"", v.path(), v.fileId(),
                    v.generation(), v.persistState(), damage);
        }
        throw damaged(v, damage);
    }

    /** The error a read of a damaged version answers (S3 500 InternalError, FUSE EIO). */
    static WcacheException.Corruption damaged(FileVersion v, String damage) {
        return new WcacheException.Corruption(v.path().toString(), "the cached bytes of " + v.path() + " (generation "
                + v.generation() + ") are damaged and this version was not persisted to the UFS; delete or overwrite"
                + " the object (" + damage + ")");
    }

    static WcacheException.Corruption damaged(FileVersion v) {
        return damaged(v, v.damage());
    }

    /** {@code TRANSIENT} paths are read from the cache only: what the cache does not hold does not exist. */
    private boolean cacheOnly(NamespacePath path) {
        return resolvePolicy(path).policy() == WritePolicy.TRANSIENT;
    }

    private ObjectReader openNow(NamespacePath path) {
        requireObjectPath(path);
        UnderFileSystem u = ufs.ufsFor(path);
        String key = path.relativeToMount();
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            // One transaction tells a cached version (with its extents) from a pending delete and from nothing.
            PathStatus status = catalog.files().status(path);
            if (status instanceof PathStatus.Live live) {
                FileVersion v = live.layout().file();
                if (v.damaged()) {
                    throw damaged(v);
                }
                List<Extent> extents = live.layout().extents();
                if (!heldHere(v, extents)) {
                    return new UfsObjectReader(toInfo(v), u, key, io); // persisted: the UFS has it too
                }
                pins.pin(v.fileId());
                boolean ok = ExtentReads.covers(extents, v.size());
                for (Extent e : extents) {
                    ok &= store.regionOf(ExtentCodec.toLocation(e)) != null;
                }
                LogStore.Lease lease = null;
                if (ok) {
                    try {
                        lease = store.lease(extents.stream().map(ExtentCodec::toLocation).toList());
                    } catch (WcacheException.NotFound moved) {
                        // Compaction or eviction moved them since the look-up: the Catalog has where they are now.
                        pins.unpin(v.fileId());
                        continue;
                    }
                    try {
                        return LocalObjectReader.open(toInfo(v), extents, v.fileId(), lease, pins, io,
                                c -> corruptRead(v, extents, u, key, c));
                    } catch (WcacheException.Corruption c) {
                        return corruptRead(v, extents, u, key, c); // open gave back the pin and the lease
                    }
                }
                pins.unpin(v.fileId());
                if (v.persistState() == PersistState.PERSISTED) {
                    // Evicted: the UFS holds this version.
                    return new UfsObjectReader(toInfo(v), u, key, io);
                }
                continue; // superseded or deleted while opening: look again
            }
            if (status instanceof PathStatus.Deleted || cacheOnly(path)) {
                break;
            }
            Optional<UfsObject> head = u.head(key);
            if (head.isEmpty()) {
                break;
            }
            ObjectInfo info = ufsInfo(path, head.get());
            if (resolvePolicy(path).policy() == WritePolicy.NO_CACHE || head.get().size() > readThroughMaxBytes
                    || !loadFromUfs(path, head.get(), u)) {
                return new UfsObjectReader(info, u, key, io);
            }
        }
        throw new WcacheException.NotFound(path.toString(), "no such object");
    }

    /**
     * Bytes held by another worker's log store are read through that worker (the cluster forwards
     * the read there); this store's segment numbers mean nothing for them, so a local read would
     * return the wrong bytes. False for a persisted version held elsewhere (read it from the UFS);
     * Unavailable, naming the worker, for an unpersisted one.
     */
    private boolean heldHere(FileVersion v, List<Extent> extents) {
        for (Extent e : extents) {
            if (!workerId.equals(e.worker())) {
                if (v.persistState() == PersistState.PERSISTED) {
                    return false;
                }
                throw new WcacheException.Unavailable(v.path().toString(), "generation " + v.generation() + " of "
                        + v.path() + " is not persisted yet and is held by worker " + e.worker() + ", not by "
                        + workerId, null);
            }
        }
        return true;
    }

    /**
     * Read-through caching: copies a UFS object into the log store as evictable records and commits
     * it as a {@code PERSISTED} version, unless the path gained a version or a tombstone meanwhile
     * (checked under the path's lock, so a load never overwrites a newer write).
     */
    private boolean loadFromUfs(NamespacePath path, UfsObject head, UnderFileSystem u) {
        // Evictable data: a WRITE_THROUGH writer reserves no pinned space.
        SegmentWriter writer = pipeline.openWriter(new BeginRequest(path, WritePolicy.WRITE_THROUGH, 1, workerId,
                List.of(), head.contentType(), head.userMetadata(), head.standardHeaders()));
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long offset = 0;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (InputStream in = u.get(head.key(), 0, head.size())) {
            while (offset < head.size()) {
                byte[] buf = in.readNBytes((int) Math.min(RecordStager.RECORD, head.size() - offset));
                if (buf.length == 0) {
                    throw new IOException("UFS object ended early at " + offset);
                }
                crc.update(buf);
                pending.add(writer.append(ByteBuffer.wrap(buf)));
                offset += buf.length;
            }
            pending.add(writer.flush(null));
            for (CompletableFuture<?> f : pending) {
                f.join();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("event=read_through_failed path={} error={}", path, e.toString());
            abortQuietly(writer);
            return false;
        }
        PathLocks.Mutex lock = locks.of(path);
        lock.acquire().join();
        try {
            if (!(catalog.files().status(path) instanceof PathStatus.NotCached)) {
                abortQuietly(writer);
                return true; // someone else installed a version; the caller looks again
            }
            CommitResult r = writer.commit(new CommitRequest(head.size(), head.etag(), crc.getValue())).join();
            onCommitted(r);
            LOG.debug("event=read_through_loaded path={} bytes={}", path, head.size());
            return true;
        } catch (RuntimeException e) {
            abortQuietly(writer);
            return false;
        } finally {
            lock.release();
        }
    }

    private void abortQuietly(SegmentWriter writer) {
        try {
            writer.abort().thenAccept(r -> {
                if (r != null) {
                    pins.retire(writer.fileId(), r.extents());
                }
            }).exceptionally(e -> null);
        } catch (RuntimeException e) {
            LOG.debug("event=abort_failed session={} error={}", writer.session(), e.toString());
        }
    }

    // ---------------------------------------------------------------- listing

    @Override
    public CompletableFuture<ListResult> list(ListQuery q) {
        return CompletableFuture.supplyAsync(() -> listNow(q), io);
    }

    private ListResult listNow(ListQuery q) {
        if (q.mount().depth() != 1) {
            throw new WcacheException.InvalidPath(q.mount().toString(), "a listing is of a mount: /<mount>");
        }
        mounts().resolve(q.mount());
        if (!UfsKeys.canPrefixValidKeys(q.prefix())) {
            // No key the namespace holds starts with it (a leading '/', an empty or dot segment): S3 lists nothing.
            return new ListResult(List.of(), List.of(), Optional.empty());
        }
        int max = Math.max(1, Math.min(q.maxKeys(), 1000));
        String base = q.mount().toString() + "/";
        String after = q.startAfter();
        if (q.continuation().isPresent()) {
            String token;
            try {
                token = new String(Base64.getUrlDecoder().decode(q.continuation().get()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new WcacheException.InvalidArgument("continuation", "continuation token is not valid");
            }
            if (NamespacePath.compareCodePoints(token, after) > 0) {
                after = token;
            }
        }
        // key -> ObjectInfo (object) or String (common prefix); the Catalog is authoritative for what it knows.
        TreeMap<String, Object> merged = new TreeMap<>(NamespacePath::compareCodePoints);
        String catalogBound = null;
        ListPage page = catalog.files().list(new ListRequest(base + q.prefix(), q.delimiter(), after.isEmpty() ? "" : base + after,
                max, Optional.empty()));
        for (FileVersion f : page.files()) {
            merged.put(f.path().relativeToMount(), toInfo(f));
        }
        for (String p : page.commonPrefixes()) {
            // The Catalog's common prefixes end with the delimiter already.
            String rel = p.substring(base.length());
            merged.put(rel.endsWith(q.delimiter()) ? rel : rel + q.delimiter(), "P");
        }
        if (page.truncated()) {
            catalogBound = merged.isEmpty() ? null : merged.lastKey();
        }
        UnderFileSystem u = ufs.ufsFor(q.mount().child("x"));
        String ufsBound = null;
        String continuation = null;
        int taken = 0;
        do {
            UfsListing l = u.list(q.prefix(), q.delimiter(), continuation, 1000);
            for (UfsObject o : l.objects()) {
                if (NamespacePath.compareCodePoints(o.key(), after) <= 0 || merged.containsKey(o.key())) {
                    continue;
                }
                NamespacePath p;
                try {
                    p = NamespacePath.of(base + o.key());
                } catch (WcacheException e) {
                    continue;
                }
                if (catalog.files().tombstone(p).isPresent() || catalog.files().lookup(p).isPresent()) {
                    continue;
                }
                merged.put(o.key(), ufsInfo(p, o));
                taken++;
            }
            for (String cp : l.commonPrefixes()) {
                if (NamespacePath.compareCodePoints(cp, after) > 0 && !merged.containsKey(cp)
                        && ufsPrefixVisible(u, base, cp)) {
                    merged.put(cp, "P");
                    taken++;
                }
            }
            continuation = l.nextContinuation();
            if (continuation != null && taken > max) {
                ufsBound = lastKey(l);
                break;
            }
        } while (continuation != null);
        String bound = min(catalogBound, ufsBound);
        List<ObjectInfo> objects = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (Map.Entry<String, Object> e : merged.entrySet()) {
            if (bound != null && NamespacePath.compareCodePoints(e.getKey(), bound) > 0) {
                more = true;
                break;
            }
            if (objects.size() + prefixes.size() >= max) {
                more = true;
                break;
            }
            if (e.getValue() instanceof ObjectInfo o) {
                objects.add(o);
            } else {
                prefixes.add(e.getKey());
            }
            last = e.getKey();
        }
        if (bound != null && !more) {
            more = true;
        }
        Optional<String> token = more && last != null
                ? Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(
                        (prefixes.contains(last) ? last + "\uffff" : last).getBytes(StandardCharsets.UTF_8)))
                : Optional.empty();
        return new ListResult(objects, prefixes, token);
    }

    private static String lastKey(UfsListing l) {
        String a = l.objects().isEmpty() ? null : l.objects().get(l.objects().size() - 1).key();
        String b = l.commonPrefixes().isEmpty() ? null : l.commonPrefixes().get(l.commonPrefixes().size() - 1);
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return NamespacePath.compareCodePoints(a, b) > 0 ? a : b;
    }

    private static String min(String a, String b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return NamespacePath.compareCodePoints(a, b) <= 0 ? a : b;
    }

    // ---------------------------------------------------------------- multipart

    /** Minimum size of every part but the last, as S3. */
    public static final long MIN_PART_BYTES = 5L * 1024 * 1024;

    private io.wcache.schema.catalog.MultipartUploadInfo requireUpload(NamespacePath path, String uploadId) {
        var u = catalog.multipart().upload(uploadId).orElseThrow(() -> new WcacheException.NotFound(uploadId,
                "no multipart upload " + uploadId + " in progress"));
        if (!u.path().equals(path)) {
            throw new WcacheException.NotFound(uploadId, "upload " + uploadId + " is not an upload of " + path);
        }
        return u;
    }

    @Override
    public CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options) {
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            Resolution r = resolvePolicy(path);
            if (!r.policy().acceptsWrites()) {
                throw new WcacheException.ReadOnly(path.toString(), "path is READ_ONLY (" + r.explanation() + ")");
            }
            if (!r.policy().cachesWrites()) {
                throw new WcacheException.InvalidArgument(path.toString(), "multipart uploads need a caching policy; "
                        + r.policy() + " applies (" + r.explanation() + ")");
            }
            new PutOptions(options.contentType(), options.userMetadata(), options.standardHeaders());
            var u = catalog.multipart().createUpload(new BeginRequest(path, r.policy(), r.writeReplicas(), workerId, List.of(),
                    options.contentType(), options.userMetadata(), options.standardHeaders(), options.tags()));
            return new MultipartUpload(path, u.uploadId(), u.createdTime());
        }, io);
    }

    @Override
    public CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber) {
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            if (partNumber < 1 || partNumber > 10_000) {
                throw new WcacheException.InvalidArgument(uploadId, "part number " + partNumber
                        + " is out of range 1..10000");
            }
            var u = requireUpload(path, uploadId);
            return (WriteSession) new PartWriteSession(this, pipeline.openPartWriter(new BeginRequest(path, u.policy(),
                    u.writeReplicas(), workerId, List.of(), u.contentType(), u.userMetadata(), u.standardHeaders()),
                    uploadId, partNumber));
        }, io);
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts) {
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            var inProgress = catalog.multipart().upload(uploadId);
            if (inProgress.isEmpty()) {
                return completedAgain(path, uploadId, parts);
            }
            var u = requireUpload(path, uploadId);
            if (parts.isEmpty()) {
                throw new WcacheException.InvalidArgument(uploadId, "a multipart upload needs at least one part");
            }
            Map<Integer, io.wcache.schema.catalog.PartInfo> stored = new java.util.HashMap<>();
            for (var p : catalog.multipart().parts(uploadId)) {
                stored.put(p.partNumber(), p);
            }
            java.security.MessageDigest md5 = Md5.newDigest();
            List<io.wcache.schema.catalog.CompletedPart> named = new ArrayList<>();
            int previous = 0;
            for (int i = 0; i < parts.size(); i++) {
                PartRef ref = parts.get(i);
                if (ref.partNumber() <= previous) {
                    throw new WcacheException.InvalidArgument("part " + ref.partNumber(), "parts are not in ascending order");
                }
                previous = ref.partNumber();
                var p = stored.get(ref.partNumber());
                if (p == null || !p.etag().equalsIgnoreCase(ref.etag())) {
                    throw new WcacheException.InvalidArgument("part " + ref.partNumber(),
                            p == null ? "part was not uploaded" : "part ETag does not match");
                }
                if (i < parts.size() - 1 && p.size() < MIN_PART_BYTES) {
                    throw new WcacheException.InvalidArgument("part " + ref.partNumber(), "part is smaller than 5 MiB");
                }
                md5.update(java.util.HexFormat.of().parseHex(p.etag()));
                named.add(new io.wcache.schema.catalog.CompletedPart(ref.partNumber(), p.etag()));
            }
            String etag = java.util.HexFormat.of().formatHex(md5.digest()) + "-" + parts.size();
            boolean through = u.policy() == WritePolicy.WRITE_THROUGH;
            List<Extent> stitched = new ArrayList<>();
            long offset = 0;
            if (through) {
                for (var c : named) {
                    var p = stored.get(c.partNumber());
                    for (Extent e : catalog.files().extents(p.fileId())) {
                        stitched.add(new Extent(p.fileId(), offset + e.offset(), e.worker(), e.segment(), e.position(),
                                e.length(), e.crc32c()));
                    }
                    offset += p.size();
                }
            }
            long total = offset;
            // No whole-object CRC32C is derived for an assembled object; each extent keeps its own.
            PathLocks.Mutex lock = locks.of(path);
            lock.acquire().join();
            try {
                // WRITE_THROUGH is acknowledged only once the UFS holds it: the parts' bytes are uploaded,
                // in order, then committed, inside the persister's order for the path (as a single PUT is),
                // so an older version's background upload can never land after it.
                io.wcache.schema.catalog.CompleteUploadResult result;
                try {
                    result = through
                            ? inPersistOrder(path, () -> {
                                uploader.upload(path, stitched, total,
                                        new PutOptions(u.contentType(), u.userMetadata(), u.standardHeaders()));
                                return catalog.multipart().completeUpload(uploadId, named, etag, 0L);
                            })
                            : catalog.multipart().completeUpload(uploadId, named, etag, 0L);
                } catch (WcacheException.NotFound e) {
                    // A concurrent completion of the same upload won: answer as it did, if the parts agree.
                    return completedAgain(path, uploadId, parts);
                }
                retireByFile(result.discardedExtents());
                ObjectInfo info = onCommitted(result.commit());
                List<Long> sizes = named.stream().map(c -> stored.get(c.partNumber()).size()).toList();
                return new ObjectInfo(info.path(), info.size(), info.etag(), info.lastModified(), info.contentType(),
                        info.userMetadata(), info.persistStatus(), info.policy(), info.generation(), sizes,
                        info.standardHeaders(), info.tags());
            } finally {
                lock.release();
            }
        }, io);
    }

    /**
     * A completion of an upload that is no longer in progress: if it was completed (and its record
     * is still kept) with the same part list, the answer is the first completion's, as S3 answers a
     * retried CompleteMultipartUpload; otherwise the upload does not exist.
     */
    private ObjectInfo completedAgain(NamespacePath path, String uploadId, List<PartRef> parts) {
        var done = catalog.multipart().completedUpload(uploadId).filter(c -> c.path().equals(path)).orElseThrow(() ->
                new WcacheException.NotFound(uploadId, "no multipart upload " + uploadId + " in progress"));
        List<io.wcache.schema.catalog.CompletedPart> named = parts.stream()
                .map(p -> new io.wcache.schema.catalog.CompletedPart(p.partNumber(), p.etag())).toList();
        if (!done.completedWith(named)) {
            throw new WcacheException.NotFound(uploadId, "upload " + uploadId
                    + " was completed with a different part list; it is no longer in progress");
        }
        Optional<FileVersion> current = catalog.files().lookup(path);
        if (current.isPresent() && current.get().fileId() == done.fileId()) {
            return toInfo(current.get());
        }
        // Superseded or deleted since: the answer still describes what the completion created.
        Resolution r = resolvePolicy(path);
        return new ObjectInfo(path, done.size(), done.etag(), done.completedTime(), null, Map.of(),
                r.policy() == WritePolicy.TRANSIENT ? PersistStatus.TRANSIENT : PersistStatus.NOT_PERSISTED, r.policy(),
                0, List.of(), Map.of());
    }

    @Override
    public CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId) {
        return CompletableFuture.runAsync(() -> {
            requireObjectPath(path);
            requireUpload(path, uploadId);
            retireByFile(catalog.multipart().abortUpload(uploadId));
        }, io);
    }

    /** Parts have distinct file ids: each one's extents are retired under its own id. */
    private void retireByFile(List<Extent> freed) {
        Map<Long, List<Extent>> byFile = new TreeMap<>();
        for (Extent e : freed) {
            byFile.computeIfAbsent(e.fileId(), k -> new ArrayList<>()).add(e);
        }
        byFile.forEach(pins::retire);
    }

    @Override
    public CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId) {
        return CompletableFuture.supplyAsync(() -> {
            requireObjectPath(path);
            requireUpload(path, uploadId);
            return catalog.multipart().parts(uploadId).stream()
                    .map(p -> new PartInfo(p.partNumber(), p.size(), p.etag(), p.createdTime()))
                    .toList();
        }, io);
    }

    @Override
    public CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix) {
        return CompletableFuture.supplyAsync(() -> catalog.multipart().uploads(prefix, 10_000).stream()
                .map(u -> new MultipartUpload(u.path(), u.uploadId(), u.createdTime()))
                .toList(), io);
    }

    String workerId() {
        return workerId;
    }

    Catalog catalog() {
        return catalog;
    }

    // ---------------------------------------------------------------- mapping

    /**
     * Whether a common prefix that only the UFS shows still holds an object that no tombstone
     * hides: right after a recursive delete, the UFS keeps the objects until the persister's
     * deletes catch up, and the prefix must not reappear meanwhile (read-after-delete). Bounded:
     * past {@code 10,000} tombstoned keys the prefix is shown until the deletes are done.
     */
    private boolean ufsPrefixVisible(UnderFileSystem u, String base, String commonPrefix) {
        if (catalog.files().tombstones(base + commonPrefix, "", 1).isEmpty()) {
            return true;
        }
        String continuation = null;
        int seen = 0;
        do {
            UfsListing l = u.list(commonPrefix, "", continuation, 1000);
            for (UfsObject o : l.objects()) {
                NamespacePath p;
                try {
                    p = NamespacePath.of(base + o.key());
                } catch (WcacheException e) {
                    continue;
                }
                if (catalog.files().tombstone(p).isEmpty() || ++seen >= 10_000) {
                    return true;
                }
            }
            continuation = l.nextContinuation();
        } while (continuation != null);
        return false;
    }

    ObjectInfo toInfo(FileVersion v) {
        PersistStatus status = v.damaged() ? PersistStatus.DAMAGED : switch (v.persistState()) {
            case NOT_PERSISTED -> PersistStatus.NOT_PERSISTED;
            case PERSISTING -> PersistStatus.PERSISTING;
            case PERSISTED -> PersistStatus.PERSISTED;
            case TRANSIENT -> PersistStatus.TRANSIENT;
        };
        return new ObjectInfo(v.path(), v.size(), v.etag(), v.committedTime().orElse(v.lastWriteTime()),
                v.contentType().isEmpty() ? null : v.contentType(), v.userMetadata(), status, v.policy(),
                v.generation(), v.partSizes(), v.standardHeaders(), v.tags());
    }

    private ObjectInfo ufsInfo(NamespacePath path, UfsObject o) {
        return new ObjectInfo(path, o.size(), o.etag(), o.lastModified(), o.contentType(), o.userMetadata(),
                PersistStatus.PERSISTED, resolvePolicy(path).policy(), 0, List.of(), o.standardHeaders());
    }

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
