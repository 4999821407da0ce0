package io.wcache.worker;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.config.WcacheConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure by default off loopback: a worker whose S3 endpoint others can reach refuses to start
 * with {@code s3.auth: none} or with the shipped demo key, saying what to set; on loopback both
 * stay allowed for local use.
 */
class S3ExposureTest {
    @TempDir
    Path root;

    @Test
    void shippedConfigOnAPublicAddressIsRefusedNamingTheDemoKey() {
        WcacheConfig shipped = WcacheConfig.shipped(List.of("s3.address=0.0.0.0:9000"));
        assertThatThrownBy(() -> S3Frontend.checkExposure(shipped))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("0.0.0.0:9000")
                .hasMessageContaining("demo key")
                .hasMessageContaining("s3.credentials");
        assertThatCode(() -> S3Frontend.checkExposure(WcacheConfig.shipped(List.of()))).doesNotThrowAnyException();
    }

    @Test
    void authNoneOnAPublicAddressIsRefused() {
        WcacheConfig open = TestWorkers.config(root, "s3.address=0.0.0.0:0", "s3.auth=none");
        assertThatThrownBy(() -> S3Frontend.checkExposure(open))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("s3.auth is none")
                .hasMessageContaining("s3.auth: sigv4");
        assertThatCode(() -> S3Frontend.checkExposure(TestWorkers.config(root, "s3.address=127.0.0.1:0",
                "s3.auth=none"))).doesNotThrowAnyException();
        assertThatCode(() -> S3Frontend.checkExposure(TestWorkers.config(root, "s3.address=[::1]:0",
                "s3.auth=none"))).doesNotThrowAnyException();
    }

    @Test
    void ownCredentialsOnAPublicAddressAreAccepted() {
        WcacheConfig own = TestWorkers.config(root, "s3.address=0.0.0.0:0",
                "s3.credentials=[{accessKey: ops, secretKey: 9b1f0c3e7a5d2f4e8c6b0a1d3f5e7c9b}]");
        assertThatCode(() -> S3Frontend.checkExposure(own)).doesNotThrowAnyException();
    }

    @Test
    void aWorkerOnAPublicAddressWithAuthNoneDoesNotStart() {
        assertThatThrownBy(() -> Worker.start(TestWorkers.config(root, "s3.address=0.0.0.0:0", "s3.auth=none"),
                WorkerOptions.defaults().withPersister(false), List.of(S3Frontend.fromConfig())).close())
                .hasStackTraceContaining("s3.auth is none");
    }

    @Test
    void tlsNeedsBothFilesAndLoadablePem() throws Exception {
        assertThatThrownBy(() -> S3Frontend.tlsFiles(TestWorkers.config(root, "s3.tls.cert=" + root.resolve("c.pem"))))
                .hasMessageContaining("s3.tls.cert and s3.tls.key go together");
        Path junk = java.nio.file.Files.writeString(root.resolve("junk.pem"), "not a certificate");
        assertThatThrownBy(() -> Worker.start(TestWorkers.config(root, "s3.address=127.0.0.1:0", "s3.auth=none",
                        "s3.tls.cert=" + junk, "s3.tls.key=" + junk),
                WorkerOptions.defaults().withPersister(false), List.of(S3Frontend.fromConfig())).close())
                .hasStackTraceContaining("cannot load the TLS certificate " + junk);
    }
}
