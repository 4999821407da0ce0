package io.wcache.worker.cluster;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
import io.wcache.core.cache.Etags;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.FailureCause;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.Membership;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.cluster.proto.ClusterMessages;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache service the frontends (S3 and FUSE) of a worker use: the worker's own
 * {@link WorkerCacheService}, with the operations that touch a path's bytes sent to the worker
 * that should serve them. A write (PUT, multipart part) goes to the path's owner on the ring; a
 * read goes to the worker holding the committed version's bytes. Everything else is metadata in
 * the shared Catalog and is answered here. A forward that cannot connect (the owner died and
 * its lease has not lapsed yet) is served by this worker instead: a write lands here, a read of
 * an unpersisted version answers 503 naming the holder.
 */
public final class ClusterCacheService implements CacheService {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterCacheService.class);

    private final WorkerCacheService local;
    private final Catalog catalog;
    private final String self;
    private final ClusterView view;
    private final InternalClient client;
    private final Replication replication;
    private final Executor io;

    ClusterCacheService(WorkerCacheService local, Catalog catalog, String self, ClusterView view,
                        InternalClient client, Replication replication, Executor io) {
        this.local = local;
        this.catalog = catalog;
        this.self = self;
        this.view = view;
        this.client = client;
        this.replication = replication;
        this.io = io;
    }

    // ---------------------------------------------------------------- forwarded

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        Optional<Forward> to = writeOwner(path);
        if (to.isEmpty()) {
            return replication.create(path, options);
        }
        Request.Builder req = Request.newBuilder().setCreate(ClusterMessages.Create.newBuilder()
                .setPath(path.toString()).setOptions(Wire.options(options)));
        return forwardWrite(to.get(), req, path, () -> replication.create(path, options));
    }

    @Override
    public CompletableFuture<WriteSession> uploadPart(NamespacePath path, String uploadId, int partNumber) {
        Optional<Forward> to = writeOwner(path);
        if (to.isEmpty()) {
            return local.uploadPart(path, uploadId, partNumber);
        }
        Request.Builder req = Request.newBuilder().setUploadPart(ClusterMessages.UploadPart.newBuilder()
                .setPath(path.toString()).setUploadId(uploadId).setPartNumber(partNumber));
        return forwardWrite(to.get(), req, path, () -> local.uploadPart(path, uploadId, partNumber));
    }

    @Override
    public CompletableFuture<ObjectReader> open(NamespacePath path) {
        // A single worker reads locally at once: looking up the holder would read the path's
        // status a second time (the local open reads it) on every GET.
        return view.alone(self) ? local.open(path) : open(path, new java.util.HashSet<>(), true);
    }

    /**
     * Reads through the holder of the committed version, else (it cannot be reached) through a
     * worker holding a replica copy of it. A worker that does not answer may have restarted on
     * another address: the view is read again, and the next source tried, until none is left;
     * each failed worker is tried once, so this ends.
     */
    private CompletableFuture<ObjectReader> open(NamespacePath path, java.util.Set<String> failed, boolean fresh) {
        return CompletableFuture.supplyAsync(() -> source(path, failed, fresh), io).thenCompose(src -> {
            if (src.isEmpty()) {
                return local.open(path);
            }
            if (src.get().worker().equals(self)) {
                // This worker holds a copy: read it; if it cannot, the local open says who holds the version.
                return local.openCopy(path).exceptionallyCompose(e -> local.open(path));
            }
            Forward to = src.get();
            Request.Builder req = Request.newBuilder();
            if (to.copy()) {
                req.setOpenCopy(path.toString());
            } else {
                req.setOpen(path.toString());
            }
            return client.connect(to.worker(), to.address()).thenCompose(c -> c.call(req)
                    .<ObjectReader>thenApply(r -> new RemoteObjectReader(c, Wire.info(r.getInfo()))).whenComplete((r, e) -> {
                        if (e != null) {
                            c.close();
                        }
                    })).exceptionallyCompose(e -> {
                        Throwable cause = FailureCause.of(e);
                        boolean unreachable = cause instanceof InternalClient.Unreachable;
                        if (unreachable || to.copy()) {
                            LOG.debug("event=forward_failed op=open path={} worker={} copy={} error={}", path,
                                    to.worker(), to.copy(), cause.getMessage());
                            if (unreachable) {
                                view.invalidate();
                            }
                            failed.add(tried(to));
                            return open(path, failed, false);
                        }
                        return CompletableFuture.failedFuture(cause);
                    });
        });
    }

    /** A source tried, by worker and address: the same worker is tried again at a new address. */
    private static String tried(Forward f) {
        return f.worker() + "@" + f.address() + (f.copy() ? "#copy" : "");
    }

    /** A worker to forward to, with its internal address; {@code copy}: read its replica copy. */
    private record Forward(String worker, String address, boolean copy) {
        Forward(String worker, String address) {
            this(worker, address, false);
        }
    }

    /** The ring owner of a cached write to {@code path}, if it is another live worker. */
    private Optional<Forward> writeOwner(NamespacePath path) {
        WritePolicy policy;
        try {
            Resolution r = local.resolvePolicy(path);
            policy = r.policy();
        } catch (RuntimeException e) {
            return Optional.empty(); // the local service reports the bad path
        }
        // NO_CACHE goes straight to the UFS and READ_ONLY refuses: neither has bytes to place.
        if (policy == WritePolicy.NO_CACHE || !policy.acceptsWrites()) {
            return Optional.empty();
        }
        return view.owner(path).filter(o -> !o.equals(self)).flatMap(this::reachable);
    }

    /**
     * Where to read the path's committed version: empty to read it here (its bytes are here, it is
     * persisted or not cached); the worker holding its bytes if it is alive; else, for an
     * unpersisted version, a live worker holding a replica copy (this worker itself, named as such,
     * when it holds one). A holder the cached view counts dead may have just restarted: with
     * {@code fresh}, the view is read again first (only on this path, so it costs nothing otherwise).
     * Workers in {@code failed} did not answer and are not asked again.
     */
    private Optional<Forward> source(NamespacePath path, java.util.Set<String> failed, boolean fresh) {
        PathStatus status;
        try {
            status = catalog.files().status(path);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (!(status instanceof PathStatus.Live live)) {
            return Optional.empty();
        }
        String holder = null;
        for (Extent e : live.layout().extents()) {
            if (!self.equals(e.worker())) {
                holder = e.worker();
                break;
            }
        }
        if (holder == null) {
            return Optional.empty();
        }
        // A worker is tried again only at another address (it restarted: the view was read again).
        Optional<Forward> owner = reachable(holder);
        if (owner.isEmpty() && fresh) {
            view.invalidate();
            owner = reachable(holder);
        }
        if (owner.isPresent() && !failed.contains(tried(owner.get()))) {
            return owner;
        }
        var v = live.layout().file();
        if (v.persistState() == PersistState.PERSISTED) {
            return Optional.empty(); // the UFS holds it
        }
        for (String r : v.replicaWorkers()) {
            if (r.equals(self)) {
                return Optional.of(new Forward(self, "", true));
            }
            Optional<Forward> copy = reachable(r).map(f -> new Forward(r, f.address(), true))
                    .filter(f -> !failed.contains(tried(f)));
            if (copy.isPresent()) {
                return copy;
            }
        }
        // No copy can be read: the local read answers 503 naming the holder.
        return Optional.empty();
    }

    private Optional<Forward> reachable(String worker) {
        return view.member(worker).filter(Membership.Member::alive)
                .filter(m -> !m.addresses().internal().isEmpty())
                .map(m -> new Forward(worker, m.addresses().internal()));
    }

    private CompletableFuture<WriteSession> forwardWrite(Forward to, Request.Builder open, NamespacePath path,
                                                         Supplier<CompletableFuture<WriteSession>> here) {
        WritePolicy policy = local.resolvePolicy(path).policy();
        return client.connect(to.worker(), to.address()).thenCompose(c -> c.call(open)
                .<WriteSession>thenApply(r -> new RemoteWriteSession(c, path, policy))
                .whenComplete((s, e) -> {
                    if (e != null) {
                        c.close();
                    }
                })).exceptionallyCompose(e -> {
                    if (FailureCause.of(e) instanceof InternalClient.Unreachable u) {
                        // Any worker may commit any path (last commit wins): the owner's absence costs placement only.
                        LOG.debug("event=forward_unreachable op=write path={} worker={} error={}", path, to.worker(),
                                u.getMessage());
                        view.invalidate();
                        return here.get();
                    }
                    return CompletableFuture.failedFuture(FailureCause.of(e));
                });
    }

    /**
     * Hands extents of other workers that this worker retired (it superseded or deleted their
     * version) to their holders, which release them. A holder that cannot be reached keeps them
     * until its restart recovery reconciles its log with the Catalog.
     */
    void releaseForeign(List<Extent> extents) {
        Map<String, List<Extent>> byWorker = extents.stream().collect(Collectors.groupingBy(Extent::worker));
        byWorker.forEach((worker, list) -> {
            Optional<Forward> to = reachable(worker);
            if (to.isEmpty()) {
                LOG.info("event=foreign_extents_left worker={} extents={} reason=not_live", worker, list.size());
                return;
            }
            ClusterMessages.Release.Builder r = ClusterMessages.Release.newBuilder();
            list.forEach(e -> r.addExtents(Wire.extent(e)));
            client.connect(worker, to.get().address())
                    .thenCompose(c -> c.call(Request.newBuilder().setRelease(r)).whenComplete((x, e) -> c.close()))
                    .whenComplete((x, e) -> {
                        if (e != null) {
                            LOG.info("event=foreign_extents_left worker={} extents={} error={}", worker, list.size(),
                                    FailureCause.of(e).toString());
                        }
                    });
        });
    }

    /**
     * Sends {@code extents} (of {@code worker}, dropped from the Catalog here) to their holder,
     * which releases them and runs an eviction and compaction pass at once. A holder that is not
     * live or does not answer is reported, not waited for: its restart recovery drops what the
     * Catalog no longer references.
     */
    CompletableFuture<PeerReclaim> releaseAndReclaim(String worker, List<Extent> extents) {
        long bytes = extents.stream().mapToLong(Extent::length).sum();
        Optional<Forward> to = reachable(worker);
        if (to.isEmpty()) {
            return CompletableFuture.completedFuture(new PeerReclaim(worker, 0, 0, worker + " is not live; "
                    + bytes + " bytes it holds are dropped at its restart"));
        }
        ClusterMessages.Release.Builder r = ClusterMessages.Release.newBuilder().setReclaimNow(true);
        extents.forEach(e -> r.addExtents(Wire.extent(e)));
        return client.connect(worker, to.get().address())
                .thenCompose(c -> c.call(Request.newBuilder().setRelease(r)).whenComplete((x, e) -> c.close()))
                .handle((resp, e) -> {
                    if (e != null) {
                        view.invalidate();
                        return new PeerReclaim(worker, 0, 0, FailureCause.of(e).getMessage());
                    }
                    return new PeerReclaim(worker, resp.getReclaimed().getReleasedBytes(),
                            resp.getReclaimed().getFreedBytes(), null);
                });
    }

    // ---------------------------------------------------------------- answered here (shared metadata)

    @Override
    public MountTable mounts() {
        return local.mounts();
    }

    @Override
    public CompletableFuture<Map<String, java.time.Instant>> mountCreationTimes() {
        return local.mountCreationTimes();
    }

    @Override
    public Resolution resolvePolicy(NamespacePath path) {
        return local.resolvePolicy(path);
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> stat(NamespacePath path) {
        return local.stat(path);
    }

    @Override
    public CompletableFuture<ListResult> list(ListQuery query) {
        return local.list(query);
    }

    @Override
    public CompletableFuture<Boolean> anyListed(NamespacePath mount, String prefix, Optional<NamespacePath> ignored) {
        return local.anyListed(mount, prefix, ignored);
    }

    @Override
    public CompletableFuture<Boolean> delete(NamespacePath path) {
        return local.delete(path);
    }

    @Override
    public CompletableFuture<io.wcache.core.cache.VersionedDelete> deleteVersioned(NamespacePath path,
                                                                                 Optional<String> versionId) {
        return local.deleteVersioned(path, versionId);
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> archivedVersions(String bucket, String keyPrefix, String startAfter,
                                                                int limit) {
        return local.archivedVersions(bucket, keyPrefix, startAfter, limit);
    }

    @Override
    public CompletableFuture<ObjectInfo> setTags(NamespacePath path, Map<String, String> tags) {
        return local.setTags(path, tags);
    }

    // An ETag computed after the commit is recorded in the shared Catalog by whichever worker computed it.

    @Override
    public CompletableFuture<Optional<ObjectInfo>> recordEtag(NamespacePath path, long generation, String etag) {
        return local.recordEtag(path, generation, etag);
    }

    /** Computed from the bytes wherever they are (the holder's, a replica's, the UFS's), as a GET reads them. */
    @Override
    public CompletableFuture<ObjectInfo> withEtag(ObjectInfo info) {
        return view.alone(self) ? local.withEtag(info) : Etags.resolve(this, info, io);
    }

    // Access controls live in the shared Catalog: every worker answers them itself.

    @Override
    public CompletableFuture<Optional<io.wcache.core.cache.AccessControl>> accessControl(String bucket, String name) {
        return local.accessControl(bucket, name);
    }

    @Override
    public CompletableFuture<Map<String, io.wcache.core.cache.AccessControl>> bucketAccessControls() {
        return local.bucketAccessControls();
    }

    @Override
    public CompletableFuture<Void> putAccessControl(String bucket, String name, io.wcache.core.cache.AccessControl acl) {
        return local.putAccessControl(bucket, name, acl);
    }

    @Override
    public CompletableFuture<Void> deleteAccessControl(String bucket, String name) {
        return local.deleteAccessControl(bucket, name);
    }

    @Override
    public CompletableFuture<Optional<String>> bucketPolicy(String bucket) {
        return local.bucketPolicy(bucket);
    }

    @Override
    public CompletableFuture<Void> putBucketPolicy(String bucket, String policy) {
        return local.putBucketPolicy(bucket, policy);
    }

    @Override
    public CompletableFuture<Void> deleteBucketPolicy(String bucket) {
        return local.deleteBucketPolicy(bucket);
    }

    @Override
    public CompletableFuture<MultipartUpload> createMultipart(NamespacePath path, WriteOptions options) {
        return local.createMultipart(path, options);
    }

    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts) {
        return completeMultipart(path, uploadId, parts, Optional.empty());
    }

    /**
     * Completes on the path's owner, where the parts were written (a WRITE_THROUGH completion
     * uploads their bytes in its commit, which only their holder can read); here if the owner is
     * this worker or cannot be reached.
     */
    @Override
    public CompletableFuture<ObjectInfo> completeMultipart(NamespacePath path, String uploadId, List<PartRef> parts,
                                                           Optional<io.wcache.core.cache.ObjectChecksum> checksum) {
        Optional<Forward> to = writeOwner(path);
        if (to.isEmpty()) {
            return local.completeMultipart(path, uploadId, parts, checksum);
        }
        ClusterMessages.CompleteMultipart.Builder m = ClusterMessages.CompleteMultipart.newBuilder()
                .setPath(path.toString()).setUploadId(uploadId);
        parts.forEach(p -> m.addParts(ClusterMessages.CompletedPart.newBuilder().setPartNumber(p.partNumber())
                .setEtag(p.etag())));
        checksum.ifPresent(c -> m.setChecksum(Wire.checksum(c)));
        Forward f = to.get();
        return client.connect(f.worker(), f.address())
                .thenCompose(c -> c.call(Request.newBuilder().setCompleteMultipart(m)).whenComplete((r, e) -> c.close()))
                .thenApply(r -> Wire.info(r.getInfo()))
                .exceptionallyCompose(e -> {
                    if (FailureCause.of(e) instanceof InternalClient.Unreachable u) {
                        LOG.debug("event=forward_unreachable op=complete_multipart path={} worker={} error={}", path,
                                f.worker(), u.getMessage());
                        view.invalidate();
                        return local.completeMultipart(path, uploadId, parts, checksum);
                    }
                    return CompletableFuture.failedFuture(FailureCause.of(e));
                });
    }

    @Override
    public CompletableFuture<MultipartUpload> multipartUpload(NamespacePath path, String uploadId) {
        return local.multipartUpload(path, uploadId);
    }

    @Override
    public CompletableFuture<Void> abortMultipart(NamespacePath path, String uploadId) {
        return local.abortMultipart(path, uploadId);
    }

    @Override
    public CompletableFuture<List<PartInfo>> listParts(NamespacePath path, String uploadId) {
        return local.listParts(path, uploadId);
    }

    @Override
    public CompletableFuture<List<MultipartUpload>> listMultipartUploads(String prefix) {
        return local.listMultipartUploads(prefix);
    }
}
