package io.wcache.worker.cluster;

import io.wcache.core.config.WcacheConfig;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A one-process cluster for tests: N workers on one embedded engine under a temporary directory,
 * each with an S3 endpoint on an ephemeral port, mount {@code /m} (bucket {@code m}) on a local
 * UFS, a short membership lease, the persister polling quickly, and AWS SDK clients per worker.
 */
final class ClusterRig implements AutoCloseable {
    static final String ACCESS = "wcache";
    static final String SECRET = "wcache-secret";
    static final String BUCKET = "m";
    /** Lease and heartbeat short enough that a crash-stopped worker is dead within a second. */
    static final String LEASE = "cluster.lease.duration=800ms";
    static final String HEARTBEAT = "cluster.heartbeat.interval=100ms";

    final Path root;
    final LocalCluster cluster;
    private final List<S3Client> clients = new ArrayList<>();

    ClusterRig(Path root, int workers, String... sets) {
        this(root, workers, null, sets);
    }

    /** As {@link #ClusterRig(Path, int, String...)}, worker-0 also starting {@code firstAlso} (null: nothing more). */
    ClusterRig(Path root, int workers, io.wcache.worker.Frontend.Factory firstAlso, String... sets) {
        this.root = root;
        List<String> all = new ArrayList<>(List.of("s3.address=127.0.0.1:0", "admin.address=127.0.0.1:0",
                "s3.credentials=[{accessKey: " + ACCESS + ", secretKey: " + SECRET + "}]", LEASE, HEARTBEAT,
                "worker.write.cache.async.persist.retry.initial.interval=100ms",
                "worker.write.cache.async.persist.retry.max.interval=300ms"));
        all.addAll(List.of(sets));
        WcacheConfig cfg = TestWorkers.config(root, all.toArray(String[]::new));
        WorkerOptions o = WorkerOptions.defaults().withSegmentSize(8L << 20);
        o = new WorkerOptions(o.workerId(), o.ringSize(), o.segmentSize(), true, Duration.ofMillis(50),
                o.readThroughMaxBytes());
        List<io.wcache.worker.Frontend.Factory> frontends = List.of(S3Frontend.fromConfig());
        cluster = LocalCluster.start(cfg, workers, o,
                firstAlso == null ? frontends : List.of(firstAlso, S3Frontend.fromConfig()), frontends);
    }

    Worker worker(int i) {
        return cluster.worker(LocalCluster.name(i));
    }

    static S3Frontend s3Of(Worker w) {
        return w.frontends().stream().filter(f -> f instanceof S3Frontend).map(f -> (S3Frontend) f).findFirst()
                .orElseThrow();
    }

    int s3Port(int i) {
        return s3Of(worker(i)).address().getPort();
    }

    /** An SDK client for worker i's S3 endpoint as it listens now (no retries: tests see each answer). */
    S3Client client(int i) {
        S3Client c = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + s3Port(i)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(16))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)))
                .build();
        synchronized (clients) {
            clients.add(c);
        }
        return c;
    }

    @Override
    public void close() {
        synchronized (clients) {
            clients.forEach(S3Client::close);
        }
        cluster.close();
    }
}
