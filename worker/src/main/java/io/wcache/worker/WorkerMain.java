package io.wcache.worker;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.persister.ufs.UfsRouter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code wcache} command: {@code wcache serve [--config FILE] [--set key=value ...] [--name NAME]}
 * starts a worker and runs until Ctrl-C or SIGTERM, then stops it cleanly. Without {@code --config} the
 * shipped config is used (everything under {@code ./data}).
 */
@Command(name = "wcache", mixinStandardHelpOptions = true, subcommands = {WorkerMain.Serve.class},
        description = "A durable write cache in front of S3-compatible object storage.")
public final class WorkerMain implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

    /** What {@code serve --name} accepts: names that are safe in keys, logs and file names. */
    static final java.util.regex.Pattern WORKER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** Frontends to start with every worker; the S3 and FUSE frontends register here when they exist. */
    static final List<Frontend.Factory> FRONTENDS = List.of(S3Frontend.fromConfig(),
            io.wcache.worker.admin.AdminServer.factory());

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new WorkerMain()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Start a worker.")
    static final class Serve implements Callable<Integer> {

        @Option(names = "--config", description = "YAML config file (default: the shipped config)")
        Path config;

        @Option(names = "--set", description = "Override a config key: key=value (repeatable)")
        List<String> sets = new ArrayList<>();

        @Option(names = "--fuse-mount", paramLabel = "DIR",
                description = "Also mount the namespace at DIR with FUSE (unmounted on shutdown)")
        Path fuseMount;

        @Option(names = "--name", paramLabel = "NAME",
                description = "This worker's name in the cluster: unique among the workers sharing the metadata, and"
                        + " kept across restarts (its extents and sessions are recorded under it); default worker-1")
        String name;

        @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
                description = "Run N workers in this process sharing the embedded metadata engine (worker-0 .. worker-(N-1);"
                        + " worker i listens on the configured ports + 10*i); default ${DEFAULT-VALUE}")
        int workers;

        @Option(names = "--replicas", paramLabel = "N",
                description = "Copies of unpersisted WRITE_BACK and TRANSIENT data, each on its own worker, before a"
                        + " write is acknowledged: the default writeReplicas (path.default.write.replicas) of paths no"
                        + " path rule matches; rules may set their own")
        Integer replicas;

        @Option(names = "--port-file", paramLabel = "FILE",
                description = "Once serving, write the bound addresses (e.g. admin=127.0.0.1:9001) to FILE")
        Path portFile;

        @Override
        public Integer call() throws Exception {
            WcacheConfig cfg;
            if (replicas != null) {
                if (sets.stream().anyMatch(x -> x.startsWith(ConfigKeys.PATH_DEFAULT_WRITE_REPLICAS.name() + "="))) {
                    System.err.println("wcache serve: --replicas and --set " + ConfigKeys.PATH_DEFAULT_WRITE_REPLICAS.name()
                            + " set the same key; give one");
                    return 2;
                }
                sets.add(ConfigKeys.PATH_DEFAULT_WRITE_REPLICAS.name() + "=" + replicas);
            }
            try {
                cfg = config == null ? WcacheConfig.shipped(sets) : WcacheConfig.load(config, sets);
                cfg = withDefaultMount(cfg);
            } catch (WcacheException e) {
                System.err.println("wcache serve: " + e.getMessage());
                return 2;
            }
            for (Mount m : cfg.mounts().mounts()) {
                if ("file".equals(m.ufsUri().getScheme())) {
                    Files.createDirectories(m.localDirectory());
                }
            }
            CountDownLatch stopped = new CountDownLatch(1);
            List<Frontend.Factory> frontends = new ArrayList<>(FRONTENDS);
            if (fuseMount != null) {
                frontends.add(FuseFrontend.at(fuseMount));
            }
            if (workers < 1) {
                System.err.println("wcache serve: --workers must be at least 1, not " + workers);
                return 2;
            }
            int copies = cfg.get(ConfigKeys.PATH_DEFAULT_WRITE_REPLICAS);
            if (copies > workers) {
                System.err.println("wcache serve: warning: writeReplicas " + copies + " needs " + copies
                        + " live workers and this process runs " + workers + ": a WRITE_BACK or TRANSIENT write of a"
                        + " path without a rule of its own is refused (503) until that many workers share the metadata");
            }
            if (name != null && workers > 1) {
                System.err.println("wcache serve: --name names a single worker; the workers of --workers " + workers
                        + " are named worker-0 .. worker-" + (workers - 1));
                return 2;
            }
            if (name != null && !WORKER_NAME.matcher(name).matches()) {
                System.err.println("wcache serve: --name '" + name + "' is not a worker name: 1 to 128 letters, digits,"
                        + " '.', '_' or '-', starting with a letter or digit (a Kubernetes pod or node name fits)");
                return 2;
            }
            AutoCloseable running;
            List<Worker> started;
            try {
                if (workers == 1) {
                    WorkerOptions options = name == null ? WorkerOptions.defaults()
                            : WorkerOptions.defaults().withWorkerId(name);
                    Worker w = Worker.start(cfg, options, frontends);
                    running = w;
                    started = List.of(w);
                } else {
                    // The FUSE mount, if any, is served by worker-0 only: one mount point, forwarded like S3.
                    List<Frontend.Factory> others = new ArrayList<>(FRONTENDS);
                    io.wcache.worker.cluster.LocalCluster c = io.wcache.worker.cluster.LocalCluster.start(cfg, workers,
                            WorkerOptions.defaults(), frontends, others);
                    running = c;
                    started = c.workers();
                }
            } catch (IllegalStateException | WcacheException e) {
                System.err.println("wcache serve: " + e.getMessage());
                return 2;
            }
            if (portFile != null) {
                writePortFile(portFile, started);
            }
            LOG.info("event=serving data_dir={} metadata={} cache_dirs={}", cfg.dataDir().toAbsolutePath(),
                    cfg.metadataEngine(), cfg.cacheDirs());
            for (Mount m : cfg.mounts().mounts()) {
                LOG.info("event=mount path={} ufs={}", m.path(), UfsRouter.uriOf(m));
            }
            if (frontends.isEmpty()) {
                LOG.info("event=frontends none=true note=\"no S3 or FUSE frontend is built into this version yet\"");
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("event=shutdown_requested");
                try {
                    running.close();
                } catch (Exception e) {
                    LOG.warn("event=shutdown_failed error={}", e.toString());
                }
                stopped.countDown();
            }, "wcache-shutdown"));
            stopped.await();
            return 0;
        }

        /**
         * One {@code name=host:port} line per frontend that listens, written atomically (tests and
         * scripts read it); in a cluster, worker i's lines are prefixed {@code worker-i.} after
         * worker-0's unprefixed ones.
         */
        private static void writePortFile(Path file, List<Worker> workers) throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            for (Worker worker : workers) {
                boolean first = worker == workers.get(0);
                for (Frontend f : worker.frontends()) {
                    String name = null;
                    String address = null;
                    for (String kv : f.describe().split(" ")) {
                        if (kv.startsWith("frontend=")) {
                            name = kv.substring("frontend=".length());
                        } else if (kv.startsWith("address=")) {
                            address = kv.substring("address=".length());
                        }
                    }
                    if (name == null || address == null) {
                        continue;
                    }
                    if (first) {
                        sb.append(name).append('=').append(address).append('\n');
                    }
                    if (workers.size() > 1) {
                        sb.append(worker.options().workerId()).append('.').append(name).append('=').append(address)
                                .append('\n');
                    }
                }
            }
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            Files.writeString(tmp, sb.toString());
            Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        /** With no mounts configured, serve {@code /demo} from {@code ./data/ufs/demo}. */
        private static WcacheConfig withDefaultMount(WcacheConfig cfg) {
            if (!cfg.mounts().mounts().isEmpty()) {
                return cfg;
            }
            // Not through effectiveValues(): it masks secrets (admin.token, s3.credentials).
            Path demo = cfg.dataDir().resolve("ufs").resolve("demo").toAbsolutePath().normalize();
            return cfg.withMounts(MountTable.of(List.of(Mount.of("/demo", demo.toUri().toString(), Map.of()))));
        }
    }
}
