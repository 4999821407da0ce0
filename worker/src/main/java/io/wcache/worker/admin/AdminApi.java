package io.wcache.worker.admin;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.config.ConfigKeys;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.PathConfigDocument;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.Resolution;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.LogStoreStats;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileState;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.PersistQueueStats;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.PersistTask;
import io.wcache.worker.Worker;
import io.wcache.worker.admin.AdminViews.CacheStat;
import io.wcache.worker.admin.AdminViews.DirStat;
import io.wcache.worker.admin.AdminViews.FileView;
import io.wcache.worker.admin.AdminViews.Info;
import io.wcache.worker.admin.AdminViews.Listing;
import io.wcache.worker.admin.AdminViews.MountView;
import io.wcache.worker.admin.AdminViews.PathConfigView;
import io.wcache.worker.admin.AdminViews.PendingRow;
import io.wcache.worker.admin.AdminViews.PersistStat;
import io.wcache.worker.persist.AsyncPersister;
import io.wcache.persister.async.PendingPersist;
import io.wcache.persister.async.PersistStats;
import io.wcache.worker.admin.AdminViews.Progress;
import io.wcache.worker.admin.AdminViews.ResolveView;
import io.wcache.worker.admin.AdminViews.RuleView;
import io.wcache.worker.admin.AdminViews.SessionView;
import io.wcache.worker.admin.AdminViews.Updated;
import io.wcache.worker.admin.AdminViews.WorkerView;
import io.wcache.worker.cache.WorkerCacheService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin operations of one worker, independent of HTTP: what {@code wcadm} shows and changes.
 * Long operations ({@link #remove}, {@link #free}, {@link #cleanOrphans}) work in bounded batches
 * and report each batch to a progress sink, so a client sees steady progress and an interrupted
 * run can simply be repeated: every step is idempotent.
 */
public final class AdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    /** Files handled per batch of a long operation; one batch is a few short transactions. */
    static final int BATCH = 500;
    /** The most entries one {@code fs ls} answer carries; more is reported as truncated. */
    static final int MAX_LIST = 100_000;
    /** How long {@link #free} waits for each other worker holding a freed copy to release and reclaim it. */
    static final Duration FREE_PEER_TIMEOUT = Duration.ofSeconds(60);
    /** Other workers' extents a {@link #free} gathers before it asks their holders (bounds its memory). */
    static final int FREE_PEER_BATCH = 20_000;
    public static final String VERSION = Optional.ofNullable(AdminApi.class.getPackage().getImplementationVersion())
            .orElse("0.1.0-SNAPSHOT");

    private final Worker worker;
    private final Clock clock;
    private final Instant started;

    public AdminApi(Worker worker, Clock clock) {
        this.worker = worker;
        this.clock = clock;
        this.started = clock.instant();
    }

    private WorkerCacheService cache() {
        return worker.cacheService();
    }

    // ---------------------------------------------------------------- info and cache

    public Info info() {
        List<WorkerView> workers = worker.catalog().cluster().workers().stream()
                .map(w -> new WorkerView(w.id(), w.address(), w.capacityBytes(), str(w.heartbeatTime()), str(w.startedTime())))
                .toList();
        if (workers.isEmpty()) {
            // Before its first heartbeat has registered it (Membership), a worker reports itself.
            workers = List.of(new WorkerView(worker.options().workerId(), worker.config().s3Address().toString(),
                    worker.config().cacheCapacityBytes(), str(clock.instant()), str(started)));
        }
        return new Info(VERSION, worker.config().writeCacheEnabled(), worker.config().metadataEngine(),
                worker.options().workerId(), workers, mounts(), cacheStat());
    }

    // ---------------------------------------------------------------- cluster

    /** Every registered worker with its state, ring share and pinned bytes (docs/CLUSTER.md). */
    public List<AdminViews.ClusterWorkerView> workers() {
        List<io.wcache.schema.catalog.Membership.Member> members = worker.membership().members();
        var ring = io.wcache.worker.cluster.HashRing.of(members.stream()
                .filter(m -> m.state() == io.wcache.schema.catalog.Membership.Member.State.LIVE)
                .map(io.wcache.schema.catalog.Membership.Member::id).toList());
        Map<String, Double> shares = ring.shares();
        var control = worker.clusterControl();
        List<AdminViews.ClusterWorkerView> out = new ArrayList<>();
        for (var m : members) {
            out.add(new AdminViews.ClusterWorkerView(m.id(), m.addresses().s3(), m.addresses().admin(),
                    m.state().name().toLowerCase(java.util.Locale.ROOT), str(m.heartbeatTime()), str(m.leaseExpiry()),
                    shares.getOrDefault(m.id(), 0.0), worker.catalog().cluster().spaceUsage(m.id()).pinnedBytes(),
                    control.map(c -> c.running(m.id())).orElse(null)));
        }
        return out;
    }

    /** Crash-stops a worker of this one-process cluster (refused on a worker running alone). */
    public Updated killWorker(String name) {
        clusterOnly("kill").kill(name);
        return new Updated(name + " crash-stopped; it is dead for the others once its lease lapses");
    }

    /** Starts a crash-stopped worker of this one-process cluster again from its directory. */
    public Updated startWorker(String name) {
        clusterOnly("start").start(name);
        return new Updated(name + " started");
    }

    /**
     * Drains worker {@code name}: it is marked draining (it leaves the ring: no new path is placed
     * on it), then, pass after pass, each unpersisted version whose bytes it holds is handed over
     * to a live worker holding a replica copy (which serves and persists it from then on; the
     * drained worker's bytes of it are released), and the others (no copy elsewhere) are left to
     * its persister, until it holds nothing that only it has, or {@code timeout} passes. The worker
     * keeps running, out of the ring, until it is stopped.
     */
    public void drain(String name, Duration timeout, Consumer<Progress> progress) {
        var membership = worker.membership();
        var m = membership.member(name).orElseThrow(() -> new WcacheException.NotFound(name, "no worker named " + name));
        if (!m.alive()) {
            throw new WcacheException.Conflict(name, name + " is dead: the replica holders of its versions take them"
                    + " over by themselves; start it to drain it");
        }
        membership.setDraining(name, true);
        LOG.info("event=worker_drain_started worker={}", name);
        progress.accept(new Progress("drain", false, 0, -1, 0, name, name + " is draining: no new paths go to it"));
        Duration pause = worker.config().get(ConfigKeys.CLUSTER_HEARTBEAT_INTERVAL);
        long deadline = System.nanoTime() + timeout.toNanos();
        long handedOver = 0;
        long handedBytes = 0;
        List<FileLayout> left;
        while (true) {
            left = new ArrayList<>();
            for (FileLayout l : worker.catalog().replicas().unpersistedOn(name)) {
                FileVersion v = l.file();
                boolean moved = false;
                for (String r : v.replicaWorkers()) {
                    var to = membership.member(r);
                    if (to.isEmpty() || to.get().state() != io.wcache.schema.catalog.Membership.Member.State.LIVE) {
                        continue;
                    }
                    var taken = worker.catalog().replicas().takeOver(v.path(), v.fileId(), name, r);
                    if (taken.isPresent()) {
                        // The drained worker's bytes of it: released there (sent to it when it is another worker).
                        worker.readerPins().retire(v.fileId(), taken.get().released());
                        handedOver++;
                        handedBytes += v.size();
                        moved = true;
                        LOG.info("event=drain_handed_over worker={} path={} generation={} to={}", name, v.path(),
                                v.generation(), r);
                        break;
                    }
                }
                if (!moved) {
                    left.add(l);
                }
            }
            if (left.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            progress.accept(new Progress("drain", false, handedOver, -1, handedBytes,
                    left.get(0).file().path().toString(), left.size() + " unpersisted versions held only by " + name
                            + " wait for its persister"));
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String message = left.isEmpty()
                ? name + " holds nothing only it has: " + handedOver + " versions handed over to their replica holders,"
                        + " the rest persisted; it is out of the ring and may be stopped"
                : name + " still holds " + left.size() + " unpersisted versions no other worker has (first: "
                        + left.get(0).file().path() + "); is the UFS reachable? Run the drain again";
        LOG.info("event=worker_drain_ended worker={} handed_over={} left={}", name, handedOver, left.size());
        progress.accept(new Progress("drain", true, handedOver, handedOver + left.size(), handedBytes, name, message));
    }

    private io.wcache.worker.cluster.ClusterControl clusterOnly(String what) {
        return worker.clusterControl().orElseThrow(() -> new WcacheException.InvalidArgument("worker " + what,
                "`worker " + what + "` works only in a one-process cluster (wcache serve --workers N)"));
    }

    public CacheStat cacheStat() {
        LogStoreStats s = worker.logStore().stats();
        List<DirStat> dirs = new ArrayList<>();
        var cfg = worker.logStore().config();
        for (var d : cfg.dirs()) {
            long used = 0;
            int segments = 0;
            try (var files = Files.list(d.path())) {
                for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList()) {
                    used += Files.size(p);
                    segments++;
                }
            } catch (IOException e) {
                LOG.debug("event=dir_stat_failed dir={} error={}", d.path(), e.toString());
            }
            dirs.add(new DirStat(d.path().toAbsolutePath().toString(), d.capacity(), used, segments));
        }
        return new CacheStat(s.capacityBytes(), s.usedBytes(), s.freeBytes(), s.pinnedBytes(), s.pinnedCapBytes(),
                s.evictableBytes(), s.segments(), dirs);
    }

    // ---------------------------------------------------------------- path config

    private PathConfig pathConfigNow() {
        return worker.catalog().cluster().pathConfig(worker.config().pathConfigDefaults());
    }

    public PathConfigView pathConfig() {
        PathConfig pc = pathConfigNow();
        List<RuleView> rules = pc.rules().stream()
                .map(r -> new RuleView(r.prefix().toString(), r.policy().name(), r.writeReplicas())).toList();
        return new PathConfigView(pc.defaultPolicy().name(), pc.defaultWriteReplicas(), pc.writeCacheEnabled(), rules,
                PathConfigDocument.format(pc));
    }

    public Updated setRule(String path, String policy, Integer replicas) {
        NamespacePath p = NamespacePath.of(path);
        WritePolicy wp = WritePolicy.parse("policy", policy);
        PathRule rule = new PathRule(p, wp, replicas == null ? 1 : replicas);
        worker.catalog().cluster().putPathRule(rule);
        cache().refreshPathConfig();
        LOG.info("event=path_rule_set rule=\"{}\"", rule);
        return new Updated("Update successful!");
    }

    public Updated unsetRule(String path) {
        NamespacePath p = NamespacePath.of(path);
        if (!worker.catalog().cluster().removePathRule(p)) {
            throw new WcacheException.NotFound(path, "no path rule for " + path);
        }
        cache().refreshPathConfig();
        LOG.info("event=path_rule_removed path={}", p);
        return new Updated("Update successful!");
    }

    public ResolveView resolve(String path) {
        cache().refreshPathConfig();
        Resolution r = cache().resolvePolicy(NamespacePath.of(path));
        return new ResolveView(r.path().toString(), r.policy().name(), r.writeReplicas(),
                r.matchedRule().map(m -> m.prefix().toString()).orElse(null), r.usedDefault(), r.explanation());
    }

    /**
     * Replaces every rule with those of a path-config document (YAML, the format of
     * {@code pathconfig show}). The document is validated whole before anything changes. The
     * global default comes from the worker config, so a document that changes it is refused.
     */
    public Updated importDocument(String text) {
        PathConfig base = worker.config().pathConfigDefaults();
        PathConfig wanted = PathConfigDocument.parse(text, base);
        if (wanted.defaultPolicy() != base.defaultPolicy() || wanted.defaultWriteReplicas() != base.defaultWriteReplicas()) {
            throw new WcacheException.InvalidArgument("default",
                    "the global default (" + base.defaultPolicy() + ", writeReplicas " + base.defaultWriteReplicas()
                            + ") is set by path.default.policy / path.default.write.replicas in the worker config,"
                            + " not by the path config; keep the document's default unchanged");
        }
        Set<NamespacePath> keep = new HashSet<>();
        for (PathRule r : wanted.rules()) {
            keep.add(r.prefix());
        }
        for (PathRule old : worker.catalog().cluster().pathRules()) {
            if (!keep.contains(old.prefix())) {
                worker.catalog().cluster().removePathRule(old.prefix());
            }
        }
        for (PathRule r : wanted.rules()) {
            worker.catalog().cluster().putPathRule(r);
        }
        cache().refreshPathConfig();
        LOG.info("event=path_config_imported rules={}", wanted.rules().size());
        return new Updated("Update successful!");
    }

    // ---------------------------------------------------------------- async persist

    public PersistStat persistStat() {
        PersistQueueStats s = worker.catalog().persistQueue().stats();
        Double oldest = s.oldestEnqueued()
                .map(t -> Math.max(0, Duration.between(t, clock.instant()).toMillis()) / 1000.0).orElse(null);
        if (worker.persister() instanceof AsyncPersister ap) {
            // The queue figures come from the Catalog (every pending task); work in flight,
            // attempts, completions and throughput from the running persister.
            PersistStats p = ap.stats();
            return new PersistStat(Math.max(0, s.pending() - p.inFlight() - s.retrying()), p.inFlight(), s.retrying(),
                    p.failedAttempts(), p.persisted(), oldest, s.bytesPending(), p.bytesPerSecond());
        }
        // No persister runs here: nothing is uploaded, the queue figures are the Catalog's.
        return new PersistStat(s.pending() - s.leased(), s.leased(), s.retrying(), s.failedAttempts(), 0, oldest,
                s.bytesPending(), 0);
    }

    public List<PendingRow> persistList(int limit) {
        int n = Math.max(1, Math.min(limit, 10_000));
        List<PendingRow> rows = new ArrayList<>();
        if (worker.persister() instanceof AsyncPersister ap) {
            // The Catalog's queue with what this worker's persister is doing with each task.
            for (PendingPersist p : ap.pending(n)) {
                rows.add(new PendingRow(p.path().toString(), p.kind().name(), p.size(), p.attempts(), str(p.nextAttempt()),
                        p.lastError().orElse(null), p.leaseOwner().orElse(null), str(p.enqueued()), p.state().name()));
            }
            return rows;
        }
        for (PersistTask t : worker.catalog().persistQueue().pendingTasks(n)) {
            rows.add(new PendingRow(t.path().toString(), t.kind().name(), t.size(), t.attempts(), str(t.nextAttemptTime()),
                    t.lastError().orElse(null), t.leaseOwner().orElse(null), str(t.enqueuedTime()),
                    PendingPersist.State.DURABLE.name()));
        }
        return rows;
    }

    // ---------------------------------------------------------------- fs

    public FileView stat(String path) {
        NamespacePath p = NamespacePath.of(path);
        if (p.depth() == 1) {
            Mount m = cache().mounts().resolve(p);
            return dir(m.path().toString());
        }
        Optional<ObjectInfo> info = WorkerCacheService.await(cache().stat(p));
        if (info.isPresent()) {
            return file(withEtag(info.get()));
        }
        ListResult r = WorkerCacheService.await(cache().list(new ListQuery(p.mountPath(), p.relativeToMount() + "/", "/", "",
                1, Optional.empty())));
        if (!r.objects().isEmpty() || !r.commonPrefixes().isEmpty()) {
            return dir(p.toString());
        }
        throw new WcacheException.NotFound(path, "no such file or directory: " + path);
    }

    public Listing list(String path, boolean recursive) {
        NamespacePath p = NamespacePath.of(path);
        List<FileView> out = new ArrayList<>();
        if (p.isRoot()) {
            for (Mount m : cache().mounts().mounts()) {
                out.add(dir(m.path().toString()));
            }
            if (!recursive) {
                return new Listing("/", out, false);
            }
            boolean truncated = false;
            for (Mount m : cache().mounts().mounts()) {
                truncated |= listInto(m.path(), "", true, out);
            }
            return new Listing("/", out, truncated);
        }
        NamespacePath mount = cache().mounts().resolve(p).path();
        if (p.depth() >= 2) {
            Optional<ObjectInfo> info = WorkerCacheService.await(cache().stat(p));
            if (info.isPresent()) {
                return new Listing(p.toString(), List.of(file(info.get())), false);
            }
        }
        String prefix = p.depth() == 1 ? "" : p.relativeToMount() + "/";
        boolean truncated = listInto(mount, prefix, recursive, out);
        if (out.isEmpty() && p.depth() >= 2) {
            throw new WcacheException.NotFound(path, "no such file or directory: " + path);
        }
        return new Listing(p.toString(), out, truncated);
    }

    /** Appends the entries under {@code prefix} of a mount; true if {@link #MAX_LIST} cut the listing. */
    private boolean listInto(NamespacePath mount, String prefix, boolean recursive, List<FileView> out) {
        Optional<String> token = Optional.empty();
        do {
            ListResult r = WorkerCacheService.await(cache().list(new ListQuery(mount, prefix, recursive ? "" : "/", "",
                    1000, token)));
            for (String cp : r.commonPrefixes()) {
                String rel = cp.endsWith("/") ? cp.substring(0, cp.length() - 1) : cp;
                out.add(dir(mount + "/" + rel));
            }
            for (ObjectInfo o : r.objects()) {
                out.add(file(o));
            }
            if (out.size() >= MAX_LIST) {
                return true;
            }
            token = r.continuation();
        } while (token.isPresent());
        return false;
    }

    /** Deletes a file, or with {@code recursive} everything under a directory, in batches. */
    public void remove(String path, boolean recursive, Consumer<Progress> progress) {
        NamespacePath p = NamespacePath.of(path);
        if (!recursive || p.depth() >= 2 && WorkerCacheService.await(cache().stat(p)).isPresent()) {
            if (p.depth() < 2) {
                throw new WcacheException.InvalidArgument(path, path + " is a mount: remove its contents with -R");
            }
            boolean existed = WorkerCacheService.await(cache().delete(p));
            if (!existed) {
                if (!recursive && isDirectory(p)) {
                    throw new WcacheException.InvalidArgument(path, path + " is a directory: use -R to remove it");
                }
                throw new WcacheException.NotFound(path, "no such file: " + path);
            }
            progress.accept(new Progress("rm", true, 1, 1, 0, p.toString(), "removed " + p));
            return;
        }
        if (p.isRoot()) {
            throw new WcacheException.InvalidArgument(path, "refusing to remove the whole namespace; name a mount or directory");
        }
        NamespacePath mount = cache().mounts().resolve(p).path();
        String prefix = p.depth() == 1 ? "" : p.relativeToMount() + "/";
        long removed = 0;
        while (true) {
            // Always list from the start: what was deleted is gone (tombstones hide it), so each
            // batch sees the next files and a rerun after an interruption continues where it stopped.
            ListResult r = WorkerCacheService.await(cache().list(new ListQuery(mount, prefix, "", "", BATCH,
                    Optional.empty())));
            if (r.objects().isEmpty()) {
                break;
            }
            String last = null;
            for (ObjectInfo o : r.objects()) {
                WorkerCacheService.await(cache().delete(o.path()));
                removed++;
                last = o.path().toString();
            }
            progress.accept(new Progress("rm", false, removed, -1, 0, last, null));
        }
        LOG.info("event=recursive_remove path={} removed={}", p, removed);
        progress.accept(new Progress("rm", true, removed, removed, 0, p.toString(), "removed " + removed + " files under " + p));
    }

    private boolean isDirectory(NamespacePath p) {
        ListResult r = WorkerCacheService.await(cache().list(new ListQuery(p.mountPath(), p.relativeToMount() + "/", "/",
                "", 1, Optional.empty())));
        return !r.objects().isEmpty() || !r.commonPrefixes().isEmpty();
    }

    /**
     * Evicts the cached bytes of persisted files at or under {@code path} on every worker holding
     * them: their extents leave the index (reads then come from the UFS), this worker releases its
     * own and reclaims now, and each other worker holding some is asked to release them and reclaim
     * now too (one not live is reported; its restart recovery drops what the index no longer
     * references). Unpersisted and transient data is never touched.
     */
    public void free(String path, Consumer<Progress> progress) {
        NamespacePath p = NamespacePath.of(path);
        cache().mounts().resolve(p);
        String prefix = p.toString();
        List<FileVersion> single = new ArrayList<>();
        if (p.depth() >= 2) {
            worker.catalog().files().lookup(p).ifPresent(single::add);
        }
        long files = 0;
        long bytes = 0;
        long ownBytes = 0;
        long skipped = 0;
        String self = worker.options().workerId();
        // The extents other workers hold, by worker: a copy is freed on the worker holding it.
        Map<String, List<Extent>> elsewhere = new java.util.TreeMap<>();
        Map<String, AdminViews.WorkerFreed> peers = new java.util.TreeMap<>();
        List<AdminViews.WorkerFreed> freedOn = new ArrayList<>();
        String startAfter = "";
        boolean firstPage = true;
        while (true) {
            List<FileVersion> page;
            if (firstPage && !single.isEmpty()) {
                page = single;
            } else {
                var lp = worker.catalog().files().list(new ListRequest(prefix.endsWith("/") ? prefix : prefix + "/", "", startAfter,
                        BATCH, Optional.empty()));
                page = lp.files();
            }
            boolean wasSingle = firstPage && !single.isEmpty();
            firstPage = false;
            if (page.isEmpty()) {
                break;
            }
            for (FileVersion v : page) {
                startAfter = v.path().toString();
                if (v.state() != FileState.COMMITTED || v.persistState() != PersistState.PERSISTED) {
                    skipped++;
                    continue;
                }
                List<Extent> dropped = new ArrayList<>();
                for (Extent e : worker.catalog().files().extents(v.fileId())) {
                    if (worker.catalog().locations().replaceExtent(e, null)) {
                        bytes += e.length();
                        if (self.equals(e.worker())) {
                            dropped.add(e);
                            ownBytes += e.length();
                        } else {
                            // Another worker's copy: it releases it itself (below), then reclaims.
                            elsewhere.computeIfAbsent(e.worker(), w -> new ArrayList<>()).add(e);
                        }
                    }
                }
                worker.readerPins().retire(v.fileId(), dropped);
                if (!dropped.isEmpty() || elsewhere.values().stream().anyMatch(l -> !l.isEmpty())) {
                    files++;
                }
            }
            if (elsewhere.values().stream().mapToInt(List::size).sum() >= FREE_PEER_BATCH) {
                askPeers(elsewhere, peers);
            }
            progress.accept(new Progress("free", false, files, -1, bytes, startAfter, null));
            if (wasSingle) {
                break;
            }
            if (page.size() < BATCH) {
                break;
            }
        }
        var reclaim = worker.logStore().reclaimNow();
        freedOn.add(new AdminViews.WorkerFreed(self, ownBytes, reclaim.freedBytes(), null));
        askPeers(elsewhere, peers);
        freedOn.addAll(peers.values());
        StringBuilder where = new StringBuilder();
        for (AdminViews.WorkerFreed f : freedOn) {
            where.append(where.length() == 0 ? "" : "; ").append(f.worker()).append(f.error() != null
                    ? ": not reached (" + f.error() + ")"
                    : ": " + f.releasedBytes() + " bytes released, " + f.freedSegmentBytes() + " segment bytes reclaimed");
        }
        LOG.info("event=free path={} files={} bytes={} skipped_unpersisted={} freed_segment_bytes={} workers=\"{}\"", p,
                files, bytes, skipped, reclaim.freedBytes(), where);
        progress.accept(new Progress("free", true, files, files, bytes, p.toString(),
                "freed " + bytes + " cached bytes of " + files + " persisted files under " + p
                        + (skipped > 0 ? " (" + skipped + " not yet persisted, kept)" : "")
                        + (peers.isEmpty() ? "" : " (" + where + ")"),
                List.copyOf(freedOn)));
    }

    /**
     * Has the workers holding the extents of {@code elsewhere} release them and reclaim at once,
     * adds what each did to {@code peers} and empties {@code elsewhere}.
     */
    private void askPeers(Map<String, List<Extent>> elsewhere, Map<String, AdminViews.WorkerFreed> peers) {
        if (elsewhere.isEmpty()) {
            return;
        }
        for (var r : worker.clusterNode().releaseAndReclaim(elsewhere, FREE_PEER_TIMEOUT)) {
            AdminViews.WorkerFreed had = peers.get(r.worker());
            peers.put(r.worker(), had == null
                    ? new AdminViews.WorkerFreed(r.worker(), r.releasedBytes(), r.freedBytes(), r.error())
                    : new AdminViews.WorkerFreed(r.worker(), had.releasedBytes() + r.releasedBytes(),
                            had.freedSegmentBytes() + r.freedBytes(), r.error() != null ? r.error() : had.error()));
        }
        elsewhere.clear();
    }

    // ---------------------------------------------------------------- orphans

    private Duration orphanAge(Duration olderThan) {
        return olderThan != null ? olderThan : worker.config().get(ConfigKeys.ORPHAN_TIMEOUT);
    }

    /**
     * Open write sessions created more than {@code olderThan} (default: the orphan timeout) ago,
     * then multipart uploads with no activity (creation or a recorded part) for as long.
     */
    public List<SessionView> orphans(Duration olderThan) {
        Instant before = clock.instant().minus(orphanAge(olderThan));
        List<SessionView> out = new ArrayList<>();
        for (FileVersion v : worker.catalog().files().sessionsCreatedBefore(before, 10_000)) {
            out.add(new SessionView(v.path().toString(), v.fileId(), v.size(), str(v.createdTime()), str(v.lastWriteTime()),
                    v.ownerWorker(), null));
        }
        for (var u : worker.catalog().multipart().uploadsIdleSince(before, 10_000)) {
            List<io.wcache.schema.catalog.PartInfo> parts;
            try {
                parts = worker.catalog().multipart().parts(u.uploadId());
            } catch (WcacheException.NotFound e) {
                continue; // completed or aborted meanwhile
            }
            long size = parts.stream().mapToLong(io.wcache.schema.catalog.PartInfo::size).sum();
            Instant last = parts.stream().map(io.wcache.schema.catalog.PartInfo::createdTime)
                    .max(java.util.Comparator.naturalOrder()).orElse(u.createdTime());
            out.add(new SessionView(u.path().toString(), 0, size, str(u.createdTime()), str(last), u.ownerWorker(),
                    u.uploadId()));
        }
        return out;
    }

    /**
     * Aborts the sessions {@link #orphans} lists and reclaims their space, in batches. Without
     * {@code olderThan} this is the periodic sweep run now (orphans and dangling sessions).
     */
    public void cleanOrphans(Duration olderThan, Consumer<Progress> progress) {
        if (olderThan == null) {
            var r = worker.sweeper().sweepNow();
            int n = r.orphans() + r.dangling() + r.abandonedUploads();
            progress.accept(new Progress("orphan-clean", true, n, n, r.bytesReclaimed(), null, "aborted " + r.orphans()
                    + " orphaned and " + r.dangling() + " dangling sessions and " + r.abandonedUploads()
                    + " abandoned multipart uploads, " + r.bytesReclaimed() + " bytes reclaimed"));
            return;
        }
        Instant before = clock.instant().minus(olderThan);
        long aborted = 0;
        long bytes = 0;
        while (true) {
            List<FileVersion> batch = worker.catalog().files().sessionsCreatedBefore(before, BATCH);
            if (batch.isEmpty()) {
                break;
            }
            long progressBefore = aborted;
            for (FileVersion v : batch) {
                try {
                    AbortResult r = worker.catalog().files().abort(v.ref());
                    worker.readerPins().retire(v.fileId(), r.extents());
                    for (Extent e : r.extents()) {
                        bytes += e.length();
                    }
                    aborted++;
                } catch (WcacheException.NotFound | WcacheException.Conflict e) {
                    // committed or aborted meanwhile
                }
            }
            progress.accept(new Progress("orphan-clean", false, aborted, -1, bytes, batch.get(batch.size() - 1).path().toString(), null));
            if (aborted == progressBefore) {
                break;
            }
        }
        long[] uploads = worker.sweeper().abandonUploads(before);
        bytes += uploads[1];
        LOG.info("event=orphans_cleaned older_than={} aborted={} abandoned_uploads={} bytes={}", olderThan, aborted,
                uploads[0], bytes);
        progress.accept(new Progress("orphan-clean", true, aborted + uploads[0], aborted + uploads[0], bytes, null,
                "aborted " + aborted + " sessions older than " + olderThan + " and " + uploads[0]
                        + " multipart uploads idle as long, " + bytes + " bytes reclaimed"));
    }

    // ---------------------------------------------------------------- mounts

    public List<MountView> mounts() {
        Set<String> configured = new HashSet<>();
        for (Mount m : worker.config().mounts().mounts()) {
            configured.add(m.name());
        }
        List<MountView> out = new ArrayList<>();
        for (Mount m : cache().mounts().mounts()) {
            // Secret options (secret.key, ...) are masked: they never leave the worker.
            out.add(new MountView(m.path().toString(), m.printableUri().toString(), m.maskedOptions(),
                    configured.contains(m.name()) ? "config" : "metadata"));
        }
        return out;
    }

    public Updated addMount(String path, String uri, Map<String, String> options) {
        Mount m = Mount.of(path, uri, options == null ? Map.of() : options);
        worker.refreshMounts();
        if (cache().mounts().find(m.name()).isPresent()) {
            throw new WcacheException.AlreadyExists(path, "mount " + m.path() + " already exists");
        }
        if ("file".equals(m.ufsUri().getScheme())) {
            try {
                Files.createDirectories(m.localDirectory());
            } catch (IOException e) {
                throw new WcacheException.InvalidArgument(uri, "cannot create " + m.localDirectory() + ": " + e.getMessage());
            }
        }
        worker.catalog().cluster().addMount(m);
        worker.refreshMounts();
        LOG.info("event=mount_added path={} ufs={}", m.path(), m.printableUri());
        return new Updated("Mount " + m.path() + " added.");
    }

    public Updated removeMount(String path) {
        NamespacePath p = NamespacePath.of(path);
        if (p.depth() != 1) {
            throw new WcacheException.InvalidPath(path, "a mount path has one segment, e.g. /demo");
        }
        for (Mount m : worker.config().mounts().mounts()) {
            if (m.name().equals(p.mountName())) {
                throw new WcacheException.InvalidArgument(path, "mount " + path
                        + " comes from the worker config file; remove it there and restart the worker");
            }
        }
        worker.catalog().cluster().removeMount(p.mountName());
        worker.refreshMounts();
        LOG.info("event=mount_removed path={}", p);
        return new Updated("Mount " + p + " removed.");
    }

    // ---------------------------------------------------------------- helpers

    /**
     * {@code o} with its ETag, as S3 answers it: a file written through the FUSE mount gets its MD5
     * after the close, and a stat asked before that joins (or starts) the computation. If its bytes
     * cannot be read the stat still answers, with the ETag left pending.
     */
    private ObjectInfo withEtag(ObjectInfo o) {
        try {
            return WorkerCacheService.await(cache().withEtag(o));
        } catch (RuntimeException e) {
            LOG.warn("event=admin_stat_etag_failed path={} error={}", o.path(), e.toString());
            return o;
        }
    }

    /** A listing does not hash: a file whose ETag is still being computed shows {@code etagPending}. */
    private static FileView file(ObjectInfo o) {
        return new FileView(o.path().toString(), "file", o.size(), str(o.lastModified()),
                o.persistStatus() == io.wcache.core.cache.PersistStatus.DAMAGED ? "DAMAGED" : "COMMITTED",
                o.persistStatus().name(), o.policy() == null ? null : o.policy().name(), o.etag(), o.etagPending(),
                o.generation());
    }

    private static FileView dir(String path) {
        return new FileView(path, "directory", 0, null, null, null, null, null, false, 0);
    }

    private static String str(Instant t) {
        return t == null ? null : t.toString();
    }
}
