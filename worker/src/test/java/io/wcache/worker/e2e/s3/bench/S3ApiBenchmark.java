package io.wcache.worker.e2e.s3.bench;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.worker.Frontend;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.persister.testing.TempDirs;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Through the S3 API with the AWS SDK: the wcache endpoint (WRITE_BACK, so a PUT is acknowledged
 * once its log record is fsynced and its metadata committed) against s3proxy (filesystem blob
 * store) on the same disk, in the same run: 10 KiB PUT p50/p99 at concurrency 1 and 16,
 * GET-after-write p50/p99, and 10 MiB PUT throughput. Prints a table.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl worker test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.worker.e2e.s3.bench.S3ApiBenchmark [-Dexec.args="ops"]
 * </pre>
 */
public final class S3ApiBenchmark {

    public static void main(String[] args) throws Exception {
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        Path dir = TempDirs.createDeletedOnExit("s3bench");
        S3Frontend[] fe = new S3Frontend[1];
        Frontend.Factory f = S3Frontend.fromConfig();
        try (Worker w = Worker.start(TestWorkers.config(dir.resolve("wcache"), "s3.address=127.0.0.1:0",
                        "s3.credentials=[{accessKey: k, secretKey: s}]", "cache.capacity=4GiB"),
                WorkerOptions.defaults().withPersister(false), List.of(x -> fe[0] = (S3Frontend) f.start(x)));
             EmbeddedS3Server proxy = EmbeddedS3Server.start(dir.resolve("s3proxy"))) {
            proxy.createBucket("bench");
            S3Client ours = client(URI.create("http://127.0.0.1:" + fe[0].address().getPort()), "k", "s");
            S3Client theirs = client(proxy.endpoint(), EmbeddedS3Server.ACCESS_KEY, EmbeddedS3Server.SECRET_KEY);
            System.out.printf("%-28s %12s %12s %12s %12s%n", "measure", "wcache p50", "wcache p99", "s3proxy p50",
                    "s3proxy p99");
            for (int conc : new int[] {1, 16}) {
                Histogram a = puts(ours, "m", "c" + conc, ops, conc);
                Histogram b = puts(theirs, "bench", "c" + conc, ops, conc);
                row("10 KiB PUT, concurrency " + conc + " (ms)", a, b);
            }
            row("GET after write, 10 KiB (ms)", gets(ours, "m", ops), gets(theirs, "bench", ops));
            double mbA = bigPuts(ours, "m", 12);
            double mbB = bigPuts(theirs, "bench", 12);
            System.out.printf("%-28s %12.1f %12s %12.1f %12s   (ratio %.2f)%n", "10 MiB PUT (MiB/s, conc 1)", mbA, "",
                    mbB, "", mbA / mbB);
            ours.close();
            theirs.close();
        }
    }

    static S3Client client(URI endpoint, String access, String secret) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32)).build();
    }

    static void row(String name, Histogram a, Histogram b) {
        System.out.printf("%-28s %12.2f %12.2f %12.2f %12.2f   (p50 ratio %.2f)%n", name,
                a.getValueAtPercentile(50) / 1000.0, a.getValueAtPercentile(99) / 1000.0,
                b.getValueAtPercentile(50) / 1000.0, b.getValueAtPercentile(99) / 1000.0,
                (double) a.getValueAtPercentile(50) / b.getValueAtPercentile(50));
    }

    static Histogram puts(S3Client s3, String bucket, String tag, int ops, int conc) throws Exception {
        byte[] body = new byte[10 * 1024];
        new Random(1).nextBytes(body);
        for (int i = 0; i < 20; i++) {
            s3.putObject(b -> b.bucket(bucket).key("warm/x"), RequestBody.fromBytes(body));
        }
        Histogram h = new Histogram(60_000_000L, 3);
        ExecutorService pool = Executors.newFixedThreadPool(conc);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < conc; t++) {
            int tt = t;
            fs.add(pool.submit(() -> {
                for (int i = tt; i < ops; i += conc) {
                    String key = "small/" + tag + "/" + i;
                    long t0 = System.nanoTime();
                    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                    synchronized (h) {
                        h.recordValue((System.nanoTime() - t0) / 1000);
                    }
                }
                return null;
            }));
        }
        for (Future<?> x : fs) {
            x.get();
        }
        pool.shutdown();
        return h;
    }

    static Histogram gets(S3Client s3, String bucket, int ops) {
        byte[] body = new byte[10 * 1024];
        Histogram h = new Histogram(60_000_000L, 3);
        for (int i = 0; i < ops; i++) {
            String key = "gaw/" + i;
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
            long t0 = System.nanoTime();
            s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            h.recordValue((System.nanoTime() - t0) / 1000);
        }
        return h;
    }

    static double bigPuts(S3Client s3, String bucket, int n) {
        byte[] body = new byte[10 * 1024 * 1024];
        new Random(2).nextBytes(body);
        s3.putObject(b -> b.bucket(bucket).key("big/warm"), RequestBody.fromBytes(body));
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String key = "big/" + i;
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return n * 10.0 / secs;
    }
}
