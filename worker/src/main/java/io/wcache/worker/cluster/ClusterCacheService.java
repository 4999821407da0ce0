package io.wcache.worker.cluster;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.MultipartUpload;
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
    private final Executor io;

    ClusterCacheService(WorkerCacheService local, Catalog catalog, String self, ClusterView view,
                        InternalClient client, Executor io) {
        this.local = local;
        this.catalog = catalog;
        this.self = self;
        this.view = view;
        this.client = client;
        this.io = io;
    }

    // ---------------------------------------------------------------- forwarded

    @Override
    public CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        Optional<Forward> to = writeOwner(path);
        if (to.isEmpty()) {
            return local.create(path, options);
        }
        Request.Builder req = Request.newBuilder().setCreate(ClusterMessages.Create.newBuilder()
                .setPath(path.toString()).setOptions(Wire.options(options)));
        return forwardWrite(to.get(), req, path, () -> local.create(path, options));
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
        return view.alone(self) ? local.open(path) : open(path, true);
    }

    /**
     * Reads through the holder of the committed version. A holder that does not answer may have
     * restarted on another address: the view is read again once before the read is served here.
     */
    private CompletableFuture<ObjectReader> open(NamespacePath path, boolean retry) {
        return CompletableFuture.supplyAsync(() -> holder(path, retry), io).thenCompose(h -> {
            if (h.isEmpty()) {
                return local.open(path);
            }
            Forward to = h.get();
            return client.connect(to.worker(), to.address()).thenCompose(c -> c.call(Request.newBuilder()
                    .setOpen(path.toString())).<ObjectReader>thenApply(r -> new RemoteObjectReader(c,
                            Wire.info(r.getInfo()))).whenComplete((r, e) -> {
                                if (e != null) {
                                    c.close();
                                }
                            })).exceptionallyCompose(e -> {
                                if (FailureCause.of(e) instanceof InternalClient.Unreachable u) {
                                    LOG.debug("event=forward_unreachable op=open path={} worker={} error={}", path,
                                            to.worker(), u.getMessage());
                                    view.invalidate();
                                    return retry ? open(path, false) : local.open(path);
                                }
                                return CompletableFuture.failedFuture(FailureCause.of(e));
                            });
        });
    }

    /** A worker to forward to, with its internal address. */
    private record Forward(String worker, String address) {
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
     * Another worker holding the bytes of the path's committed version, if it is alive. A holder
     * the cached view counts dead may have just restarted: with {@code fresh}, the view is read
     * again before the read is served here (only on this path, so it costs nothing otherwise).
     */
    private Optional<Forward> holder(NamespacePath path, boolean fresh) {
        PathStatus status;
        try {
            status = catalog.files().status(path);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (status instanceof PathStatus.Live live) {
            for (Extent e : live.layout().extents()) {
                if (!self.equals(e.worker())) {
                    // A dead holder is not asked: the local read serves a persisted version from the
                    // UFS and answers 503 naming the holder for an unpersisted one.
                    Optional<Forward> to = reachable(e.worker());
                    if (to.isEmpty() && fresh) {
                        view.invalidate();
                        to = reachable(e.worker());
                    }
                    return to;
                }
            }
        }
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
