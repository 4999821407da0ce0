package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.metrics.Stage;
import io.wcache.worker.Frontend;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * One PUT through the real S3 server (AWS SDK client, Netty, log store, embedded engine), then its
 * upload to the UFS: every stage of docs/PERFORMANCE.md "Where the time goes" has counted it in
 * the {@code wcache_stage_seconds} histogram that {@code /metrics} serves.
 */
class StageMetricsEndToEndTest {

    @TempDir
    Path root;

    @Test
    void onePutAndItsUploadAreCountedInEveryStageHistogram() throws Exception {
        S3Frontend[] s3 = new S3Frontend[1];
        AdminServer[] admin = new AdminServer[1];
        Frontend.Factory s3Factory = S3Frontend.customized(c -> c);
        try (Worker w = Worker.start(TestWorkers.config(root, "s3.address=127.0.0.1:0",
                        "s3.credentials=[{accessKey: ak, secretKey: sk}]", "admin.address=127.0.0.1:0"),
                WorkerOptions.defaults().withPersister(false).withSegmentSize(8L << 20),
                List.of(x -> s3[0] = (S3Frontend) s3Factory.start(x),
                        x -> admin[0] = AdminServer.start(x, Map.of(), WorkerMetrics.newRegistry())));
             S3Client client = S3Client.builder()
                     .endpointOverride(URI.create("http://127.0.0.1:" + s3[0].address().getPort()))
                     .region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("ak", "sk")))
                     .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                     .build()) {
            URI metrics = URI.create("http://127.0.0.1:" + admin[0].address().getPort() + "/metrics");
            Map<Stage, Double> before = counts(scrape(metrics));

            // A PUT above write.cache.sync.copy.max waits for log.sync; a small PUT is acknowledged on
            // its Catalog commit, its log records synced in the background (log.sync.background). The
            // small one last: a sync after it would cover its records, and none would run in the background.
            client.putObject(b -> b.bucket("m").key("stages/b"), RequestBody.fromBytes(new byte[100 * 1024]));
            client.putObject(b -> b.bucket("m").key("stages/a"), RequestBody.fromBytes(new byte[10 * 1024]));
            assertThat(TestWorkers.drain(w)).isEqualTo(2);

            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (true) {
                String text = scrape(metrics);
                Map<Stage, Double> after = counts(text);
                List<Stage> missing = new java.util.ArrayList<>();
                for (Stage s : Stage.values()) {
                    // UPLOAD_CLIENT: the S3 UFS client's share; this worker's UFS is a local directory (S3UnderFileSystemTest)
                    if (s != Stage.UPLOAD_CLIENT && after.getOrDefault(s, 0.0) <= before.getOrDefault(s, 0.0)) {
                        missing.add(s);
                    }
                }
                if (missing.isEmpty()) {
                    assertThat(text).contains("wcache_stage_seconds_bucket{stage=\"log.sync\"")
                            .contains("wcache_stage_seconds_bucket{stage=\"log.sync.background\"");
                    break;
                }
                assertThat(System.nanoTime()).as("stages not counted: %s", missing).isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    private static String scrape(URI uri) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static Map<Stage, Double> counts(String text) {
        Map<Stage, Double> out = new EnumMap<>(Stage.class);
        Matcher m = Pattern.compile("(?m)^wcache_stage_seconds_count\\{[^}]*stage=\"([^\"]+)\"[^}]*} (\\S+)").matcher(text);
        while (m.find()) {
            for (Stage s : Stage.values()) {
                if (s.label().equals(m.group(1))) {
                    out.put(s, Double.parseDouble(m.group(2)));
                }
            }
        }
        return out;
    }
}
