package io.wcache.tools.bench;

import io.wcache.core.config.WcacheConfig;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.schema.catalog.PersistQueueStats;
import io.wcache.worker.Frontend;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Everything one benchmark run drives, started on 127.0.0.1 and stopped by {@link #close()}: an
 * embedded s3proxy as the UFS (filesystem blob store on the same disk as the cache), a worker
 * (the {@link Worker} assembly) whose mount {@value #BUCKET} is {@code s3://ufs/bench} on that
 * s3proxy, the worker's S3 endpoint ({@link S3Frontend}, SigV4, ephemeral port), path rules for the policies under test, and
 * aws-sdk-java-v2 clients for the worker and for s3proxy directly.
 */
public final class BenchRig implements AutoCloseable {

    /** The worker's bucket (mount name). */
    public static final String BUCKET = "bench";
    /** The s3proxy bucket holding the mount's UFS data (under {@code bench/}). */
    public static final String UFS_BUCKET = "ufs";
    /** The s3proxy bucket the direct-to-UFS baseline writes to. */
    public static final String DIRECT_BUCKET = "direct";

    public static final String WRITE_BACK_PREFIX = "wb/";
    public static final String WRITE_THROUGH_PREFIX = "wt/";
    public static final String TRANSIENT_PREFIX = "fuse/";
    public static final String COLD_PREFIX = "cold/";

    private static final String ACCESS_KEY = "bench";
    private static final String SECRET_KEY = "bench-secret";

    private final Path root;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private EmbeddedS3Server s3proxy;
    private Worker worker;
    private URI workerEndpoint;
    private io.wcache.worker.admin.AdminServer admin;
    private final java.net.http.HttpClient metricsHttp = java.net.http.HttpClient.newBuilder()
            .connectTimeout(java.time.Duration.ofSeconds(5)).build();
    private S3Client workerClient;
    private S3Client directClient;
    private Path fuseMount;
    private String persisterName;

    private BenchRig(Path root) {
        this.root = root;
    }

    /**
     * Starts s3proxy and a worker under {@code root} ({@code root/cache} is the cache disk),
     * with {@code persistThreads} uploads in flight and, when {@code fuseMount} is not null, a FUSE
     * mount there (a failed mount is reported by {@link #fuseMountPoint()} being null).
     */
    public static BenchRig start(Path root, int persistThreads, Path fuseMountPoint) throws Exception {
        return start(root, persistThreads, fuseMountPoint, List.of());
    }

    /** As {@link #start(Path, int, Path)}, with {@code KEY=VALUE} overrides of the worker's configuration. */
    public static BenchRig start(Path root, int persistThreads, Path fuseMountPoint, List<String> overrides) throws Exception {
        BenchRig rig = new BenchRig(root);
        try {
            rig.open(persistThreads, fuseMountPoint, overrides);
            return rig;
        } catch (Exception | Error e) {
            rig.close();
            throw e;
        }
    }

    private void open(int persistThreads, Path fuseMountPoint, List<String> overrides) throws Exception {
        Files.createDirectories(root);
        s3proxy = EmbeddedS3Server.start(root.resolve("s3proxy"));
        closeables.add(s3proxy);
        s3proxy.createBucket(UFS_BUCKET);
        s3proxy.createBucket(DIRECT_BUCKET);
        StringBuilder yaml = new StringBuilder()
                .append("data.dir: ").append(root).append('\n')
                .append("metadata.engine: embedded:").append(root.resolve("meta")).append('\n')
                .append("cache.dirs: [").append(root.resolve("cache")).append("]\n")
                .append("cache.capacity: 16GiB\n")
                .append("s3.address: 127.0.0.1:0\n")
                .append("s3.auth: sigv4\n")
                .append("s3.credentials: [{accessKey: ").append(ACCESS_KEY).append(", secretKey: ").append(SECRET_KEY)
                .append("}]\n")
                .append("admin.address: 127.0.0.1:0\n")
                .append("path.default.policy: WRITE_BACK\n")
                .append("write.cache.async.persist.thread.pool.size: ").append(persistThreads).append('\n')
                .append("mounts:\n")
                .append("  - path: /").append(BUCKET).append('\n')
                .append("    ufs: s3://").append(UFS_BUCKET).append('/').append(BUCKET).append('\n')
                .append("    options:\n");
        for (Map.Entry<String, String> e : s3proxy.ufsOptions().entrySet()) {
            yaml.append("      ").append(e.getKey()).append(": '").append(e.getValue()).append("'\n");
        }
        WcacheConfig config = WcacheConfig.fromYaml(yaml.toString(), "benchmark config", overrides);
        List<Frontend.Factory> frontends = new ArrayList<>();
        frontends.add(S3Frontend.fromConfig());
        // /metrics, read before and after each PUT run for the per-stage table (auth is not needed for it).
        frontends.add(w -> admin = io.wcache.worker.admin.AdminServer.start(w, Map.of(),
                io.wcache.worker.admin.WorkerMetrics.newRegistry()));
        if (fuseMountPoint != null) {
            Files.createDirectories(fuseMountPoint);
            frontends.add(w -> {
                try {
                    Frontend f = io.wcache.worker.FuseFrontend.at(fuseMountPoint).start(w);
                    fuseMount = fuseMountPoint;
                    return f;
                } catch (RuntimeException | LinkageError e) {
                    System.err.println("bench: FUSE mount at " + fuseMountPoint + " failed, FUSE figures left out: " + e);
                    return new NoFrontend();
                }
            });
        }
        worker = Worker.start(config, WorkerOptions.defaults(), frontends);
        closeables.add(worker);
        persisterName = worker.persister() == null ? "none" : worker.persister().getClass().getSimpleName()
                + " (the worker's own, " + persistThreads + " upload threads)";
        InetSocketAddress s3 = worker.frontends().stream().filter(S3Frontend.class::isInstance)
                .map(f -> ((S3Frontend) f).address()).findFirst().orElseThrow();
        workerEndpoint = URI.create("http://127.0.0.1:" + s3.getPort());
        var catalog = worker.catalog();
        catalog.cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/wb"), WritePolicy.WRITE_BACK, 1));
        catalog.cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/wt"), WritePolicy.WRITE_THROUGH, 1));
        catalog.cluster().putPathRule(new PathRule(NamespacePath.of("/" + BUCKET + "/fuse"), WritePolicy.TRANSIENT, 1));
        worker.cacheService().refreshPathConfig();
        workerClient = client(workerEndpoint, ACCESS_KEY, SECRET_KEY);
        closeables.add(workerClient);
        directClient = client(s3proxy.endpoint(), EmbeddedS3Server.ACCESS_KEY, EmbeddedS3Server.SECRET_KEY);
        closeables.add(directClient);
    }

    private static S3Client client(URI endpoint, String accessKey, String secretKey) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                // Idle pooled connections are dropped quickly: phases are separated by waits, and a
                // connection the server closed meanwhile would otherwise cost a retry inside a timed call.
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(256)
                        .connectionAcquisitionTimeout(Duration.ofSeconds(60))
                        .connectionMaxIdleTime(Duration.ofSeconds(2)))
                .build();
    }

    private static final class NoFrontend implements Frontend {
        @Override
        public String describe() {
            return "frontend=none";
        }

        @Override
        public void close() {
        }
    }

    public S3Client workerClient() {
        return workerClient;
    }

    public S3Client directClient() {
        return directClient;
    }

    /**
     * The worker's persister's Catalog transactions marking uploads persisted, and the uploads they
     * marked, so far (zeros without the worker's own persister).
     */
    public io.wcache.persister.async.Persister.MarkCounts markCounts() {
        return worker.persister() instanceof io.wcache.worker.persist.AsyncPersister a ? a.persister().markCounts()
                : new io.wcache.persister.async.Persister.MarkCounts(0, 0);
    }

    /** Which persister uploads WRITE_BACK data in this run. */
    public String persisterName() {
        return persisterName;
    }

    public Worker worker() {
        return worker;
    }

    public EmbeddedS3Server s3proxy() {
        return s3proxy;
    }

    /** The cache directory: the disk the floors are measured on. */
    public Path cacheDir() {
        return root.resolve("cache");
    }

    /** Where the FUSE mount is, or null when none was requested or mounting failed. */
    public Path fuseMountPoint() {
        return fuseMount;
    }

    /** The worker's {@code /metrics} text (Prometheus exposition format). */
    public String scrapeMetrics() throws java.io.IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + admin.address().getPort() + "/metrics");
        var r = metricsHttp.send(java.net.http.HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofSeconds(30))
                .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new java.io.IOException("GET " + uri + " answered " + r.statusCode());
        }
        return r.body();
    }

    public URI workerEndpoint() {
        return workerEndpoint;
    }

    /** The durable persist queue's counts right now (scans the queue; call sparingly). */
    public PersistQueueStats persistQueue() {
        return worker.catalog().persistQueue().stats();
    }

    /**
     * As {@link #awaitPersisted(Duration, Duration)}, its end read sooner: the persister's mark count
     * is read every 5 ms until it reaches {@code marks}, then the durable queue's count confirms it
     * (a scan of the queue's tasks, too costly to repeat every few ms while uploads run: read alone
     * every 200 ms it put up to 0.2 s on a phase's time). The queue is also read every 200 ms, so a
     * persister that counts no marks is seen through it alone.
     */
    public long awaitPersisted(Duration timeout, long marks) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int polls = 1; markCounts().tasks() < marks && System.nanoTime() < deadline; polls++) {
            if (polls % 40 == 0 && persistQueue().pending() == 0) {
                break;
            }
            Thread.sleep(5);
        }
        return awaitPersisted(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), Duration.ofMillis(200));
    }

    /**
     * Waits until the persist queue is empty or {@code timeout} passes; returns the tasks still
     * pending (0 when drained).
     */
    public long awaitPersisted(Duration timeout, Duration poll) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long pending = persistQueue().pending();
            if (pending == 0 || System.nanoTime() > deadline) {
                return pending;
            }
            Thread.sleep(poll.toMillis());
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> reverse = new ArrayList<>(closeables);
        java.util.Collections.reverse(reverse);
        for (AutoCloseable c : reverse) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("bench: closing " + c.getClass().getSimpleName() + " failed: " + e);
            }
        }
    }
}
