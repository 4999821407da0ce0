package io.wcache.worker.cluster;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.HostPort;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.fdb.MetadataEngine;
import io.wcache.worker.Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N workers in one process sharing one metadata engine ({@code wcache serve --workers N}), to try
 * and test the cluster on one machine. Worker i is named {@code worker-i}, serves S3 on the
 * configured {@code s3.address} port + 10·i and the admin API on the {@code admin.address} port +
 * 10·i (a port 0 stays 0: each picks a free port), and keeps its cache in {@code worker-i} under
 * each of {@code cache.dirs}. Only here can a worker be crash-stopped and started again.
 */
public final class LocalCluster implements ClusterControl, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
    /** Port distance between consecutive workers' endpoints. */
    public static final int PORT_STEP = 10;

    private final MetadataEngine engine;
    private final Map<String, WcacheConfig> configs = new LinkedHashMap<>();
    private final WorkerOptions baseOptions;
    private final List<Frontend.Factory> firstFrontends;
    private final List<Frontend.Factory> frontends;
    /** Guarded by this: the running worker of each name (absent while crash-stopped). */
    private final Map<String, Worker> running = new LinkedHashMap<>();

    private LocalCluster(MetadataEngine engine, WorkerOptions baseOptions, List<Frontend.Factory> firstFrontends,
                         List<Frontend.Factory> frontends) {
        this.engine = engine;
        this.baseOptions = baseOptions;
        this.firstFrontends = List.copyOf(firstFrontends);
        this.frontends = List.copyOf(frontends);
    }

    /**
     * Opens the metadata engine of {@code base} once and starts {@code n} workers on it, each with
     * {@code frontends}. On a failure, what was started is stopped and the error is thrown.
     */
    public static LocalCluster start(WcacheConfig base, int n, WorkerOptions baseOptions,
                                     List<Frontend.Factory> frontends) {
        return start(base, n, baseOptions, frontends, frontends);
    }

    /** As {@link #start(WcacheConfig, int, WorkerOptions, List)}, worker-0 with {@code first} (e.g. also FUSE). */
    public static LocalCluster start(WcacheConfig base, int n, WorkerOptions baseOptions,
                                     List<Frontend.Factory> first, List<Frontend.Factory> frontends) {
        if (n < 1) {
            throw new IllegalArgumentException("a cluster has at least one worker, not " + n);
        }
        MetadataEngine engine = MetadataEngine.open(base.metadataEngine());
        LocalCluster c = new LocalCluster(engine, baseOptions, first, frontends);
        try {
            for (int i = 0; i < n; i++) {
                String name = name(i);
                c.configs.put(name, configOf(base, i));
            }
            for (String name : c.configs.keySet()) {
                c.start(name);
            }
            // Each worker may have read the membership while those after it were still starting:
            // read it again, so the cluster routes by its whole ring from its first request.
            for (String name : c.configs.keySet()) {
                c.worker(name).clusterNode().refreshView();
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public static String name(int i) {
        return "worker-" + i;
    }

    /** Worker i's config: the S3, admin and internal ports moved by 10·i, each cache directory's {@code worker-i} subdirectory. */
    static WcacheConfig configOf(WcacheConfig base, int i) {
        String source = "--workers (worker " + i + ")";
        List<String> dirs = new ArrayList<>();
        for (Path d : base.cacheDirs()) {
            dirs.add(d.resolve(name(i)).toString());
        }
        return base.with(ConfigKeys.S3_ADDRESS, shifted(base.s3Address(), i), source)
                .with(ConfigKeys.ADMIN_ADDRESS, shifted(base.adminAddress(), i), source)
                .with(ConfigKeys.CLUSTER_INTERNAL_ADDRESS, shifted(base.get(ConfigKeys.CLUSTER_INTERNAL_ADDRESS), i), source)
                .with(ConfigKeys.CACHE_DIRS, List.copyOf(dirs), source);
    }

    private static HostPort shifted(HostPort hp, int i) {
        if (hp.port() == 0) {
            return hp;
        }
        int port = hp.port() + PORT_STEP * i;
        if (port > 65535) {
            throw new WcacheException.InvalidArgument("--workers", "worker " + i + " would listen on port " + port
                    + ", beyond 65535: lower the base port or the number of workers");
        }
        return new HostPort(hp.host(), port);
    }

    /** The running worker of that name; {@code Conflict} while it is crash-stopped. */
    public synchronized Worker worker(String name) {
        requireKnown(name);
        Worker w = running.get(name);
        if (w == null) {
            throw new WcacheException.Conflict(name, name + " is stopped; start it with `wcadm worker start " + name + "`");
        }
        return w;
    }

    /** The running workers, by name. */
    public synchronized List<Worker> workers() {
        return List.copyOf(running.values());
    }

    public MetadataEngine engine() {
        return engine;
    }

    @Override
    public List<String> workerNames() {
        return List.copyOf(configs.keySet());
    }

    @Override
    public synchronized boolean running(String name) {
        return running.containsKey(name);
    }

    @Override
    public void kill(String name) {
        Worker w;
        synchronized (this) {
            requireKnown(name);
            w = running.remove(name);
            if (w == null) {
                throw new WcacheException.Conflict(name, name + " is not running");
            }
        }
        LOG.warn("event=cluster_worker_kill worker={}", name);
        w.crashStop();
    }

    @Override
    public synchronized void start(String name) {
        requireKnown(name);
        if (running.containsKey(name)) {
            throw new WcacheException.Conflict(name, name + " is already running");
        }
        WorkerOptions o = baseOptions.withWorkerId(name);
        Worker w = Worker.start(configs.get(name), o, name.equals(name(0)) ? firstFrontends : frontends, engine);
        w.attachCluster(this);
        running.put(name, w);
        LOG.info("event=cluster_worker_started worker={}", name);
    }

    private void requireKnown(String name) {
        if (!configs.containsKey(name)) {
            throw new WcacheException.NotFound(name, "no worker named " + name + " in this cluster (workers: "
                    + String.join(", ", configs.keySet()) + ")");
        }
    }

    /** Stops every running worker cleanly (each ends its lease), then the shared engine. */
    @Override
    public void close() {
        List<Worker> ws;
        synchronized (this) {
            ws = new ArrayList<>(running.values());
            running.clear();
        }
        java.util.Collections.reverse(ws);
        for (Worker w : ws) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.warn("event=cluster_worker_close_failed worker={} error={}", w.options().workerId(), e.toString());
            }
        }
        engine.close();
    }
}
