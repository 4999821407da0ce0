package io.wcache.tools.bench;

import io.wcache.core.config.WcacheConfig;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cluster.HashRing;
import io.wcache.worker.cluster.LocalCluster;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * The cluster's costs on one machine (docs/PERFORMANCE.md, "Cluster"): 10 KiB {@code WRITE_BACK}
 * PUTs through worker-0 of a one-worker cluster, then of a three-worker one-process cluster to
 * keys worker-0 owns (no forwarding), to keys another worker owns (each PUT forwarded over the
 * internal transport) and to keys worker-0 owns under a rule with {@code writeReplicas = 2} (each
 * PUT also streamed to, and sealed on, a second worker), at 1 and 16 clients, with the CPU the worker threads used per operation.
 * Everything runs in this JVM on 127.0.0.1 with a local-directory UFS.
 *
 * <pre>
 * mvn -B -ntp -q -pl tools test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.tools.bench.ClusterBenchmark [-Dexec.args="--quick --cluster-first"]
 * </pre>
 */
public final class ClusterBenchmark {

    private static final int BODY = 10 * 1024;
    /** The key prefix of the writeReplicas = 2 rows. */
    private static final String REPLICATED = "rep2/";

    private ClusterBenchmark() {
    }

    record Row(String name, int clients, LatencySummary s, double workerCpuMsPerOp) {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        Duration warm = Duration.ofSeconds(quick ? 1 : 3);
        Duration measure = Duration.ofSeconds(quick ? 2 : 5);
        byte[] body = new byte[BODY];
        new java.util.Random(1).nextBytes(body);
        List<Row> rows = new ArrayList<>();
        // --cluster-first runs the three-worker cluster before the single worker (the first setup of the
        // JVM runs on less warmed-up code: run both orders to see how much that moves the ratios).
        int[] order = List.of(args).contains("--cluster-first") ? new int[] {3, 1} : new int[] {1, 3};
        for (int workers : order) {
            Path root = TempDirs.create("cluster-bench-");
            try (LocalCluster c = start(root, workers)) {
                int port = ((S3Frontend) c.worker("worker-0").frontends().get(0)).address().getPort();
                HashRing ring = HashRing.of(c.workerNames());
                if (workers > 1) {
                    // Keys under /bench/rep2 keep a copy on a second worker before they are acknowledged.
                    c.worker("worker-0").catalog().cluster().putPathRule(new PathRule(
                            NamespacePath.of("/bench/" + REPLICATED.substring(0, REPLICATED.length() - 1)),
                            WritePolicy.WRITE_BACK, 2));
                    c.workers().forEach(w -> w.cacheService().refreshPathConfig());
                }
                try (S3Client s3 = client(port)) {
                    for (int clients : new int[] {1, 16}) {
                        if (workers == 1) {
                            rows.add(measure("1 worker", clients, warm, measure, s3, body, ring, null));
                        } else {
                            rows.add(measure("3 workers, owner", clients, warm, measure, s3, body, ring, true));
                            rows.add(measure("3 workers, non-owner (forwarded)", clients, warm, measure, s3, body, ring,
                                    false));
                            rows.add(measure("3 workers, owner, writeReplicas 2", clients, warm, measure, s3, body,
                                    ring, true, REPLICATED));
                        }
                    }
                }
            } finally {
                TempDirs.delete(root);
            }
        }
        System.out.println(table(rows));
    }

    private static LocalCluster start(Path root, int workers) throws Exception {
        Path ufs = root.resolve("ufs/bench");
        Files.createDirectories(ufs);
        WcacheConfig cfg = WcacheConfig.fromYaml("data.dir: " + root.resolve("data") + "\n"
                + "cache.capacity: 2GiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "admin.address: 127.0.0.1:0\n"
                + "s3.credentials: [{accessKey: bench, secretKey: bench-secret}]\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /bench\n    ufs: " + ufs.toUri() + "\n", "cluster bench", List.of());
        return LocalCluster.start(cfg, workers, WorkerOptions.defaults(), List.of(S3Frontend.fromConfig()));
    }

    private static S3Client client(int port) {
        return S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port)).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench-secret")))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1))).build();
    }

    /** Keys whose owner is worker-0 ({@code owned}), another worker ({@code !owned}), or any ({@code null}). */
    private static Row measure(String name, int clients, Duration warm, Duration window, S3Client s3, byte[] body,
                               HashRing ring, Boolean owned) throws InterruptedException {
        return measure(name, clients, warm, window, s3, body, ring, owned, "");
    }

    private static Row measure(String name, int clients, Duration warm, Duration window, S3Client s3, byte[] body,
                               HashRing ring, Boolean owned, String dir) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        String prefix = dir + name.replaceAll("[^a-z0-9]+", "-") + "-" + clients + "/";
        CpuMeter cpu = new CpuMeter();
        CpuMeter.Snapshot a = cpu.snapshot();
        LatencySummary s = ClosedLoop.run(name, clients, warm, window, 0, seq -> {
            String key;
            do {
                key = prefix + next.incrementAndGet();
            } while (owned != null && ring.owner(NamespacePath.of("/bench/" + key)).equals("worker-0") != owned);
            String k = key;
            s3.putObject(b -> b.bucket("bench").key(k), RequestBody.fromBytes(body));
        });
        CpuMeter.Snapshot b = cpu.snapshot();
        double ops = s.ops() / Math.max(1e-9, s.seconds());
        double workerCores = CpuMeter.workerNanos(a, b) / (double) Math.max(1, b.wallNanos() - a.wallNanos());
        return new Row(name, clients, s, ops == 0 ? 0 : workerCores * 1000 / ops);
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| setup | clients | PUT p50 ms | p99 ms | PUT/s | p50 vs 1 worker | PUT/s vs 1 worker | worker CPU ms/op |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            Row base = rows.stream().filter(x -> x.name().equals("1 worker") && x.clients() == r.clients()).findFirst()
                    .orElse(r);
            double ops = r.s().ops() / r.s().seconds();
            double baseOps = base.s().ops() / base.s().seconds();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.0f | %.2fx | %.2fx | %.2f |%n", r.name(),
                    r.clients(), r.s().p50Ms(), r.s().p99Ms(), ops, r.s().p50Ms() / base.s().p50Ms(), ops / baseOps,
                    r.workerCpuMsPerOp()));
        }
        return sb.toString();
    }
}
