package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.UnderFileSystem;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * WRITE_BACK persistence against MinIO, which enforces S3's multipart rules strictly. Runs where a
 * Docker engine is reachable; skipped, with Testcontainers' notice, where none is.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioPersisterTest {

    private static final String USER = "wcache-minio";
    private static final String PASSWORD = "wcache-minio-secret";

    @Container
    static final GenericContainer<?> MINIO = new GenericContainer<>("minio/minio:RELEASE.2024-11-07T00-52-20Z")
            .withCommand("server", "/data")
            .withEnv("MINIO_ROOT_USER", USER)
            .withEnv("MINIO_ROOT_PASSWORD", PASSWORD)
            .withExposedPorts(9000)
            .waitingFor(Wait.forHttp("/minio/health/live").forPort(9000).withStartupTimeout(Duration.ofMinutes(2)));

    @TempDir
    Path dir;

    @Test
    void writeBackObjectsOverwritesAndDeletesReachMinio() throws Exception {
        String endpoint = "http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000);
        try (S3Client raw = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(USER, PASSWORD)))
                .build()) {
            raw.createBucket(b -> b.bucket(S3Rig.BUCKET));
        }
        UnderFileSystem ufs = S3Rig.ufs(Map.of("endpoint", endpoint, "access.key", USER, "secret.key", PASSWORD));
        PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 4, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
        try (PersistRig rig = new PersistRig(dir, ufs, config)) {
            rig.persister.start();
            rig.writeBack("m/big", new PatternSource(12L << 20, 1), "1");
            rig.writeBack("m/small", new PatternSource(10 << 10, 2), "1");
            rig.writeBack("m/small", new PatternSource(20 << 10, 3), "2");
            rig.writeBack("m/gone", new PatternSource(100, 4), "1");
            rig.delete("m/gone");
            assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();

            assertThat(ufs.head("m/big").orElseThrow().etag()).endsWith("-3");
            try (InputStream in = ufs.get("m/big")) {
                assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(12L << 20, 1).sha256());
            }
            try (InputStream in = ufs.get("m/small")) {
                assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(20 << 10, 3).sha256());
            }
            assertThat(ufs.head("m/gone")).isEmpty();
        }
    }
}
