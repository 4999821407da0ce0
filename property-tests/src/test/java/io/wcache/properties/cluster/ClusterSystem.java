package io.wcache.properties.cluster;

import io.wcache.core.config.WcacheConfig;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cluster.LocalCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The system under test of one try: a {@link LocalCluster} of three workers in this JVM
 * ({@code wcache serve --workers 3}: one embedded engine, each worker with its own cache directory,
 * S3 endpoint and internal transport), a local-directory UFS, and the model it is compared with.
 * Under the bucket {@code m}: {@code wb/} is WRITE_BACK (persisted within moments), {@code held/}
 * is WRITE_BACK whose uploads always fail (a regular file stands where the UFS directory should
 * be), so its versions stay on the worker holding them, {@code tr/} is TRANSIENT (never
 * persisted) and {@code wt/} is WRITE_THROUGH (in the UFS before the PUT is acknowledged). Crash-stops are {@link LocalCluster#kill}: the worker's sockets and threads die in
 * place and it starts again from its directory.
 */
final class ClusterSystem implements AutoCloseable {

    static final int WORKERS = 3;
    static final String BUCKET = "m";
    static final String ACCESS = "wcache";
    static final String SECRET = "wcache-secret";
    static final List<String> PREFIXES = List.of("wb", "held", "tr", "wt");

    final Path root;
    final Path ufs;
    final LocalCluster cluster;
    /** Key -> its acknowledged version (absent keys are left out): every operation is acknowledged or refused. */
    final Map<String, ClusterActions.Version> model = new TreeMap<>();
    final Set<Integer> down = new TreeSet<>();
    private final Map<Integer, S3Client> clients = new HashMap<>();
    private final Map<Integer, Integer> clientPorts = new HashMap<>();

    ClusterSystem() {
        root = TempDirs.create("cluster-prop").toAbsolutePath();
        ufs = root.resolve("ufs");
        try {
            Files.createDirectories(ufs);
            Files.writeString(ufs.resolve("held"), "uploads below held/ fail while this file stands here");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String yaml = "data.dir: " + root + "\n"
                + "metadata.engine: embedded:" + root.resolve("meta") + "\n"
                + "cache.dirs: [" + root.resolve("cache") + "]\n"
                + "cache.capacity: 256MiB\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /" + BUCKET + "\n    ufs: " + ufs.toUri() + "\n";
        WcacheConfig cfg = WcacheConfig.fromYaml(yaml, "cluster property", List.of(
                "s3.address=127.0.0.1:0", "admin.address=127.0.0.1:0",
                "s3.credentials=[{accessKey: " + ACCESS + ", secretKey: " + SECRET + "}]",
                // A crash-stopped worker is dead for the others within a second.
                "cluster.lease.duration=800ms", "cluster.heartbeat.interval=100ms",
                "worker.write.cache.async.persist.retry.initial.interval=100ms",
                "worker.write.cache.async.persist.retry.max.interval=300ms"));
        WorkerOptions o = WorkerOptions.defaults().withSegmentSize(8L << 20);
        o = new WorkerOptions(o.workerId(), o.ringSize(), o.segmentSize(), true, Duration.ofMillis(50),
                o.readThroughMaxBytes());
        cluster = LocalCluster.start(cfg, WORKERS, o, List.of(S3Frontend.fromConfig()));
        try {
            Worker w0 = worker(0);
            w0.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/tr"), WritePolicy.TRANSIENT, 1));
            w0.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/wt"), WritePolicy.WRITE_THROUGH, 1));
            for (Worker w : cluster.workers()) {
                w.cacheService().refreshPathConfig();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static String name(int i) {
        return LocalCluster.name(i);
    }

    Worker worker(int i) {
        return cluster.worker(name(i));
    }

    boolean running(int i) {
        return !down.contains(i);
    }

    int liveCount() {
        return WORKERS - down.size();
    }

    void kill(int i) {
        cluster.kill(name(i));
        down.add(i);
    }

    void start(int i) {
        cluster.start(name(i));
        down.remove(i);
    }

    /** An SDK client for worker i's S3 endpoint as it listens now (a restart picks a new port; no retries). */
    S3Client client(int i) {
        int port = S3Frontend.class.cast(worker(i).frontends().stream().filter(f -> f instanceof S3Frontend)
                .findFirst().orElseThrow()).address().getPort();
        Integer had = clientPorts.get(i);
        if (had == null || had != port) {
            S3Client old = clients.remove(i);
            if (old != null) {
                old.close();
            }
            clients.put(i, S3Client.builder()
                    .endpointOverride(URI.create("http://127.0.0.1:" + port))
                    .region(Region.US_EAST_1)
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                    .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)).apiCallTimeout(Duration.ofSeconds(60)))
                    .build());
            clientPorts.put(i, port);
        }
        return clients.get(i);
    }

    @Override
    public void close() {
        clients.values().forEach(S3Client::close);
        clients.clear();
        try {
            cluster.close();
        } finally {
            TempDirs.delete(root);
        }
    }

    @Override
    public String toString() {
        return "cluster(down=" + down + ", model=" + model + ")";
    }
}
