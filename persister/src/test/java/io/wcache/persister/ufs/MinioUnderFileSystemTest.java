package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.PatternSource;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The UFS contract against MinIO, which enforces S3's rules (5 MiB minimum parts, SigV4) more
 * strictly than s3proxy. Runs where a Docker engine is reachable; skipped, with Testcontainers'
 * notice, where none is.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioUnderFileSystemTest extends UnderFileSystemContract {

    private static final String USER = "wcache-minio";
    private static final String PASSWORD = "wcache-minio-secret";
    private static final String BUCKET = "ufs";
    private static final AtomicInteger MOUNTS = new AtomicInteger();

    @Container
    static final GenericContainer<?> MINIO = new GenericContainer<>("minio/minio:RELEASE.2024-11-07T00-52-20Z")
            .withCommand("server", "/data")
            .withEnv("MINIO_ROOT_USER", USER)
            .withEnv("MINIO_ROOT_PASSWORD", PASSWORD)
            .withExposedPorts(9000)
            .waitingFor(Wait.forHttp("/minio/health/live").forPort(9000).withStartupTimeout(Duration.ofMinutes(2)));

    private UnderFileSystem ufs;

    private static String endpoint() {
        return "http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000);
    }

    @BeforeAll
    static void createBucket() {
        try (S3Client raw = S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(USER, PASSWORD)))
                .build()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @BeforeEach
    void open() {
        ufs = UnderFileSystem.open(URI.create("s3://" + BUCKET + "/t" + MOUNTS.incrementAndGet()), Map.of(
                "endpoint", endpoint(), "access.key", USER, "secret.key", PASSWORD,
                "multipart.threshold", "8MiB", "multipart.part.size", "5MiB"));
    }

    @AfterEach
    void close() {
        ufs.close();
    }

    @Override
    protected UnderFileSystem ufs() {
        return ufs;
    }

    @Test
    void multipartUploadMeetsMinioPartRules() throws Exception {
        PatternSource source = new PatternSource(12L << 20, 9);
        UfsObject put = ufs.put("mp/twelve", source, PutOptions.DEFAULT);
        assertThat(put.etag()).endsWith("-3");
        try (InputStream in = ufs.get("mp/twelve")) {
            assertThat(PatternSource.sha256(in)).isEqualTo(source.sha256());
        }
    }
}
