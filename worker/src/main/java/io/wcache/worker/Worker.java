package io.wcache.worker;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.MountTable;
import io.wcache.fdb.MetadataEngine;
import io.wcache.fdb.embedded.CommitListener;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.pipeline.Index;
import io.wcache.pipeline.Journal;
import io.wcache.pipeline.PipelineConfig;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.Membership;
import io.wcache.core.config.HostPort;
import io.wcache.worker.cluster.ClusterControl;
import io.wcache.worker.cluster.ClusterNode;
import io.wcache.worker.cluster.MembershipLease;
import io.wcache.worker.admin.MeteredJournal;
import io.wcache.worker.admin.StageMetrics;
import io.wcache.worker.cache.ReaderPins;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.persist.FileUploader;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.worker.cache.TtlCache;
import io.wcache.worker.persist.AsyncPersister;
import io.wcache.worker.recovery.RestartRecovery;
import io.wcache.worker.space.CatalogExtentRelocator;
import io.wcache.worker.sweep.UploadingSessions;
import io.wcache.worker.sweep.SessionSweeper;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process's parts, wired in one place: metadata engine, Catalog, log store (with its
 * eviction callback and restart reconciliation), write pipeline, UFS clients, the
 * {@link WorkerCacheService}, the session sweeper, a {@link Persister}, and the frontends.
 * {@link #close()} stops them in reverse order.
 *
 * <pre>{@code
 * try (Worker w = Worker.start(WcacheConfig.load(file, overrides), WorkerOptions.defaults(), List.of())) {
 *     CacheService cache = w.cacheService();
 * }
 * }</pre>
 */
public final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    public static final String CATALOG_NAME = "wcache";
    /** How long a loaded mount table is used before it is read again (mounts another worker changed). */
    static final long MOUNTS_TTL_NANOS = 1_000_000_000L;

    private final WcacheConfig config;
    private final WorkerOptions options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Frontend> frontends = new ArrayList<>();
    private MetadataEngine engine;
    private Catalog catalog;
    private LogStore store;
    private WritePipeline pipeline;
    private TtlCache<MountTable> mounts;
    private UfsRouter ufs;
    private ReaderPins pins;
    private UploadingSessions uploading;
    private FileUploader uploader;
    private WorkerCacheService cacheService;
    private SessionSweeper sweeper;
    private Persister persister;
    private ExecutorService io;
    private RestartRecovery.Outcome recovery;
    /** The engine of a one-process cluster, shared by its workers and closed by the cluster; else null. */
    private final MetadataEngine sharedEngine;
    private Membership membership;
    private MembershipLease lease;
    private volatile ClusterControl clusterControl;
    private ClusterNode cluster;

    private Worker(WcacheConfig config, WorkerOptions options, MetadataEngine sharedEngine) {
        this.config = config;
        this.options = options;
        this.sharedEngine = sharedEngine;
    }

    /** Opens and wires every part, reconciles after a restart, then starts the frontends. */
    public static Worker start(WcacheConfig config, WorkerOptions options, List<Frontend.Factory> frontendFactories) {
        return start(config, options, frontendFactories, null);
    }

    /**
     * As {@link #start(WcacheConfig, WorkerOptions, List)}, on a metadata engine the caller opened
     * and closes ({@code null}: the worker opens {@code metadata.engine} itself): how the workers
     * of a one-process cluster share the embedded engine.
     */
    public static Worker start(WcacheConfig config, WorkerOptions options, List<Frontend.Factory> frontendFactories,
                               MetadataEngine sharedEngine) {
        Worker w = new Worker(config, options, sharedEngine);
        try {
            w.open(frontendFactories);
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** {@code write.cache.sync.copy.max}, refused before anything is opened when it is too large. */
    private int copyMaxBytes() {
        long copyMax = config.get(ConfigKeys.SYNC_COPY_MAX);
        if (copyMax > CatalogOp.Commit.MAX_COPY_BYTES) {
            throw new WcacheException.InvalidArgument(ConfigKeys.SYNC_COPY_MAX.name(), ConfigKeys.SYNC_COPY_MAX.name()
                    + " is at most " + CatalogOp.Commit.MAX_COPY_BYTES + " bytes (a copy is one Catalog value), not "
                    + copyMax + ": set it to " + CatalogOp.Commit.MAX_COPY_BYTES + " or less (0: no copies)");
        }
        return (int) copyMax;
    }

    private void open(List<Frontend.Factory> frontendFactories) {
        int copyMax = copyMaxBytes();
        if (sharedEngine != null) {
            engine = sharedEngine;
        } else {
            engine = MetadataEngine.open(config.metadataEngine());
            closeables.add(engine);
        }
        catalog = Catalog.open(engine.recordDatabase(), CATALOG_NAME);
        if (engine.database() instanceof EmbeddedDatabase embedded) {
            // Every commit to the embedded engine is this process's, so the Catalog is told of each
            // and may keep paths' statuses between reads (on FoundationDB others commit unseen).
            CommitListener reports = catalog::committed;
            embedded.addCommitListener(reports);
            closeables.add(() -> embedded.removeCommitListener(reports));
            catalog.cacheStatusesFrom(embedded.committedVersion());
        }
        List<Path> dirs = config.cacheDirs();
        long perDir = config.cacheCapacityBytes() / dirs.size();
        List<LogStoreConfig.CacheDir> cacheDirs = dirs.stream().map(d -> new LogStoreConfig.CacheDir(d, perDir)).toList();
        LogStoreConfig lsc = LogStoreConfig.of(cacheDirs).withSegmentSize(options.segmentSize())
                .withPinnedRatio(config.get(ConfigKeys.PINNED_CAPACITY_RATIO));
        Catalog cat = catalog;
        store = LogStore.open(lsc, new CatalogExtentRelocator(() -> cat, options.workerId()));
        closeables.add(store);
        recovery = RestartRecovery.run(catalog, store, options.workerId());
        StageMetrics.installGlobal();
        pipeline = WritePipeline.start(new PipelineConfig(options.ringSize(), options.workerId(), copyMax),
                MeteredJournal.wrap(Journal.of(store)),
                Index.of(catalog));
        closeables.add(pipeline);
        MountTable configured = config.mounts();
        mounts = new TtlCache<>(() -> mergedMounts(configured), MOUNTS_TTL_NANOS);
        ufs = new UfsRouter(mounts::get);
        closeables.add(ufs);
        pins = new ReaderPins(store, options.workerId());
        uploader = new FileUploader(catalog, store, options.workerId(), ufs);
        AtomicInteger n = new AtomicInteger();
        io = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors() * 2), r -> {
            Thread t = new Thread(r, "wcache-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Path spool = dirs.get(0).resolve("spool");
        cleanSpool(spool);
        uploading = new UploadingSessions(catalog, config.danglingSessionTimeout());
        closeables.add(uploading);
        cacheService = new WorkerCacheService(options.workerId(), catalog, store, pipeline, ufs, uploader, pins,
                uploading, config.pathConfigDefaults(), spool, io, options.readThroughMaxBytes());
        cacheService.localMetadata(engine.description().startsWith("embedded:"));
        sweeper = new SessionSweeper(catalog, pins, config.danglingSessionTimeout(), config.orphanSessionTimeout(),
                Clock.systemUTC(), uploading);
        sweeper.start(config.get(ConfigKeys.FILE_CHECK_PERIOD));
        closeables.add(sweeper);
        if (options.runPersister()) {
            persister = newPersister(PersisterConfig.from(options.workerId(), config, store.stats().pinnedCapBytes())
                    .withPollInterval(options.persistPollInterval()));
            persister.start(options.persistPollInterval());
            cacheService.usePersister(persister);
            closeables.add(persister);
        }
        membership = catalog.membership();
        HostPort internal = config.get(ConfigKeys.CLUSTER_INTERNAL_ADDRESS);
        cluster = ClusterNode.start(options.workerId(), cacheService, catalog, pins, membership,
                new java.net.InetSocketAddress(internal.host(), internal.port()),
                config.get(ConfigKeys.CLUSTER_HEARTBEAT_INTERVAL), io);
        cluster.reclaimWith(() -> java.util.concurrent.CompletableFuture.supplyAsync(() -> store.reclaimNow().freedBytes(), io));
        LOG.info("event=worker_started worker={} metadata={} cache_dirs={} capacity_bytes={} pinned_cap_bytes={} mounts={}",
                options.workerId(), config.metadataEngine(), dirs, config.cacheCapacityBytes(),
                store.stats().pinnedCapBytes(), mergedMounts(configured).mounts());
        // A configured mount's bucket creation date is when it was first seen: note it now, kept from then on.
        catalog.cluster().mountCreationTimes(mergedMounts(configured).mounts().stream().map(m -> m.name()).toList());
        for (Frontend.Factory f : frontendFactories) {
            Frontend fe = f.start(this);
            frontends.add(fe);
            LOG.info("event=frontend_started {}", fe.describe());
        }
        lease = MembershipLease.start(membership, options.workerId(), addresses(), config.cacheCapacityBytes(),
                config.get(ConfigKeys.CLUSTER_LEASE_DURATION), config.get(ConfigKeys.CLUSTER_HEARTBEAT_INTERVAL),
                m -> { });
    }

    /** Where this worker serves: the bound frontend addresses, else the configured ones. */
    private Membership.Addresses addresses() {
        String s3 = config.s3Address().toString();
        String admin = config.adminAddress().toString();
        for (Frontend f : frontends) {
            if (f instanceof S3Frontend s) {
                s3 = s.address().getHostString() + ":" + s.address().getPort();
            } else if (f instanceof io.wcache.worker.admin.AdminServer a) {
                admin = a.address().getHostString() + ":" + a.address().getPort();
            }
        }
        return new Membership.Addresses(s3, admin, cluster.internalAddress());
    }

    private MountTable mergedMounts(MountTable configured) {
        MountTable t = configured;
        for (var m : catalog.cluster().mountTable().mounts()) {
            if (t.find(m.name()).isEmpty()) {
                t = t.with(m);
            }
        }
        return t;
    }

    private static void cleanSpool(Path spool) {
        try {
            if (java.nio.file.Files.isDirectory(spool)) {
                try (var s = java.nio.file.Files.list(spool)) {
                    for (Path p : s.toList()) {
                        java.nio.file.Files.deleteIfExists(p);
                    }
                }
            }
        } catch (java.io.IOException e) {
            LOG.warn("event=spool_cleanup_failed dir={} error={}", spool, e.toString());
        }
    }

    public WorkerCacheService cacheService() {
        return cacheService;
    }

    /**
     * What the frontends (S3, FUSE) serve: the worker's cache service, with the operations on
     * bytes another worker should serve forwarded to it (docs/CLUSTER.md, "Forwarding").
     */
    public io.wcache.core.cache.CacheService frontendService() {
        return cluster.service();
    }

    /** This worker's part in the cluster (internal transport, forwarding). */
    public ClusterNode clusterNode() {
        return cluster;
    }

    public Catalog catalog() {
        return catalog;
    }

    public LogStore logStore() {
        return store;
    }

    public WritePipeline pipeline() {
        return pipeline;
    }

    public FileUploader uploader() {
        return uploader;
    }

    /**
     * The persister {@link WorkerOptions#runPersister()} starts, not started: the persister
     * module's per-path ordered, retried uploads over this worker's Catalog, log store, reader
     * pins and UFS clients. Tests without a running persister start one of their own to drain
     * the persist queue ({@code persister().start()}, {@code awaitAttempted}).
     */
    public AsyncPersister newPersister(PersisterConfig persisterConfig) {
        return new AsyncPersister(catalog, store, pins, ufs, pipeline, persisterConfig);
    }

    /** The worker's pool for blocking work (Catalog and UFS calls) that must not run on an event loop. */
    public java.util.concurrent.Executor ioExecutor() {
        return io;
    }

    /** The one router from a namespace path to its mount's UFS client, used by every UFS access of this worker. */
    public UfsRouter ufs() {
        return ufs;
    }

    /**
     * Forgets the cached mount table, so the next request (and the UFS router) sees a mount this
     * worker just added, removed or re-pointed at once.
     */
    public void refreshMounts() {
        mounts.invalidate();
    }

    /** The frontends started with this worker, in start order. */
    public List<Frontend> frontends() {
        return List.copyOf(frontends);
    }

    /** Reader pins: extents dropped while a reader holds the file are released by its last reader. */
    public ReaderPins readerPins() {
        return pins;
    }

    public SessionSweeper sweeper() {
        return sweeper;
    }

    /** The running persister, or null when {@link WorkerOptions#runPersister()} is off. */
    public Persister persister() {
        return persister;
    }

    public WcacheConfig config() {
        return config;
    }

    public WorkerOptions options() {
        return options;
    }

    public RestartRecovery.Outcome recovery() {
        return recovery;
    }

    /** Cluster membership: every worker sharing this worker's metadata, with its lease. */
    public Membership membership() {
        return membership;
    }

    /** The one-process cluster this worker belongs to, if any (kill and start of its workers). */
    public java.util.Optional<ClusterControl> clusterControl() {
        return java.util.Optional.ofNullable(clusterControl);
    }

    /** Set by a one-process cluster on each of its workers. */
    public void attachCluster(ClusterControl control) {
        this.clusterControl = control;
    }

    /**
     * Crash-stops the worker in place, for the one-process cluster's failover tests: its lease stops
     * being renewed (the others see it dead when it lapses; nothing is handed over), its sockets
     * are cut, and its threads and files are released; nothing is flushed that the log had not
     * already made durable, and the next start recovers from the directory as after a crash. The
     * shared metadata engine stays open.
     */
    public void crashStop() {
        if (lease != null) {
            lease.cut();
        }
        shutdown();
        LOG.warn("event=worker_crash_stopped worker={}", options.workerId());
    }

    /** Ends the membership lease, then stops frontends, background work, the pipeline (draining it), the log store and metadata. */
    @Override
    public void close() {
        if (lease != null) {
            lease.leave();
        }
        shutdown();
        LOG.info("event=worker_stopped worker={}", options.workerId());
    }

    private void shutdown() {
        for (Frontend f : frontends) {
            try {
                f.close();
            } catch (RuntimeException e) {
                LOG.warn("event=frontend_close_failed frontend={} error={}", f.describe(), e.toString());
            }
        }
        if (cluster != null) {
            cluster.close();
        }
        List<AutoCloseable> reverse = new ArrayList<>(closeables);
        java.util.Collections.reverse(reverse);
        // Background work first, so nothing uses the pipeline or the store while they close.
        reverse.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        for (AutoCloseable c : reverse) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("event=close_failed part={} error={}", c.getClass().getSimpleName(), e.toString());
            }
        }
        if (io != null) {
            io.shutdown();
            try {
                io.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int rank(AutoCloseable c) {
        return (c instanceof Persister || c instanceof SessionSweeper) ? 0 : 1;
    }
}
