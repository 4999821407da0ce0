package io.wcache.worker.e2e.s3;

import io.wcache.worker.Frontend;
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
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** A real worker with its S3 endpoint on 127.0.0.1 (ephemeral port) and real AWS SDK clients for it. */
final class S3Rig implements AutoCloseable {
    static final String ACCESS = "wcache";
    static final String SECRET = "wcache-secret";
    static final String BUCKET = "m";

    final Worker worker;
    final S3Frontend s3;
    final URI endpoint;

    S3Rig(Path root, String... sets) {
        this(root, c -> c, sets);
    }

    S3Rig(Path root, java.util.function.UnaryOperator<io.wcache.s3.server.S3ServerConfig> tweak, String... sets) {
        List<String> all = new ArrayList<>(List.of("s3.address=127.0.0.1:0",
                "s3.credentials=[{accessKey: " + ACCESS + ", secretKey: " + SECRET + "}]"));
        all.addAll(List.of(sets));
        S3Frontend[] started = new S3Frontend[1];
        Frontend.Factory factory = S3Frontend.customized(c -> tweak.apply(c.withIdleTimeout(Duration.ofSeconds(3))));
        worker = Worker.start(TestWorkers.config(root, all.toArray(String[]::new)),
                WorkerOptions.defaults().withPersister(false).withSegmentSize(8L << 20),
                List.of(w -> started[0] = (S3Frontend) factory.start(w)));
        s3 = started[0];
        endpoint = URI.create("http://127.0.0.1:" + s3.address().getPort());
    }

    int port() {
        return s3.address().getPort();
    }

    S3Client client() {
        return client(SECRET);
    }

    S3Client client(String secret) {
        return client(ACCESS, secret);
    }

    /** A client signing with another key of s3.credentials. */
    S3Client client(String access, String secret) {
        return builder().credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                .build();
    }

    /** A client that signs nothing (an anonymous user). */
    S3Client anonymousClient() {
        return builder().credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
                .build();
    }

    private software.amazon.awssdk.services.s3.S3ClientBuilder builder() {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)));
    }

    S3Presigner presigner() {
        return S3Presigner.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build();
    }

    @Override
    public void close() {
        worker.close();
    }
}
