package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.SocketException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Bad input over real sockets: truncated and over-long bodies, stalled clients, oversized heads,
 * malformed XML, expired presigned URLs and skewed clocks. Each gets its S3 error or a closed
 * connection, and no partial object ever becomes visible.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputEndToEndTest {

    @TempDir
    static Path rootOpen;
    @TempDir
    static Path rootSigned;
    /** {@code s3.auth: none}: raw requests need no signature (payload hashes are still checked). */
    S3Rig open;
    /** SigV4, with the server's clock an hour ahead of the client's. */
    S3Rig skewed;
    S3Client openClient;

    @BeforeAll
    void start() {
        open = new S3Rig(rootOpen, "s3.auth=none");
        skewed = new S3Rig(rootSigned, c -> c.withClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(1))));
        openClient = open.client();
    }

    @AfterAll
    void stop() {
        openClient.close();
        open.close();
        skewed.close();
    }

    /** Sends raw bytes, then reads the whole response (until the server closes or {@code timeoutMs}). */
    static String exchange(int port, byte[] request, boolean closeOutput, int timeoutMs) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (closeOutput) {
                    s.shutdownOutput();
                }
            } catch (SocketException e) {
                // The server may answer and close before the whole request is written.
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    got.write(buf, 0, n);
                }
            } catch (IOException e) {
                // Reset or timeout: return what arrived.
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    void assertInvisible(String key) {
        assertThatThrownBy(() -> openClient.headObject(b -> b.bucket(BUCKET).key(key)))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void bodyShorterThanContentLengthThenCloseLeavesNothingVisible() throws Exception {
        String req = "PUT /m/bad/short HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                + "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n" + "x".repeat(5000);
        exchange(open.port(), ascii(req), true, 5000);
        assertInvisible("bad/short");
    }

    @Test
    void clientThatStopsMidBodyIsTimedOutAndNothingIsVisible() throws Exception {
        String req = "PUT /m/bad/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                + "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n" + "x".repeat(5000);
        // Output stays open: the server's idle timeout (3 s here) must close the connection. The
        // event waited for is the server's close (end of stream or reset), not a client timeout.
        try (Socket s = new Socket("127.0.0.1", open.port())) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(ascii(req));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                while (in.read(buf) > 0) {
                    // an error answer may come before the close
                }
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the server never closed a connection whose client stopped mid-body", e);
            } catch (SocketException e) {
                // reset by the server: closed
            }
        }
        assertInvisible("bad/stalled");
    }

    @Test
    void bodyLongerThanContentLengthFailsItsPayloadHashAndNothingIsVisible() throws Exception {
        String body = "y".repeat(2000);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(body.getBytes(StandardCharsets.US_ASCII)));
        String req = "PUT /m/bad/long HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                + "x-amz-content-sha256: " + sha + "\r\nConnection: close\r\n\r\n" + body;
        String resp = exchange(open.port(), ascii(req), true, 5000);
        assertThat(resp).startsWith("HTTP/1.1 400").contains("XAmzContentSHA256Mismatch");
        assertInvisible("bad/long");
    }

    @Test
    void tenThousandHeadersAreRefused() throws Exception {
        StringBuilder sb = new StringBuilder("GET /m/x HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (int i = 0; i < 10_000; i++) {
            sb.append("x-h-").append(i).append(": v\r\n");
        }
        sb.append("\r\n");
        String resp = exchange(open.port(), ascii(sb.toString()), false, 5000);
        // Either an error status or a closed connection; never a served request.
        assertThat(resp.isEmpty() || resp.startsWith("HTTP/1.1 400") || resp.startsWith("HTTP/1.1 431"))
                .as("response: %s", resp.length() > 200 ? resp.substring(0, 200) : resp).isTrue();
    }

    @Test
    void malformedXmlIsMalformedXml() throws Exception {
        String body = "<Delete><Object><Key>a</Key></Object>";
        String req = "POST /m?delete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length()
                + "\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nConnection: close\r\n\r\n" + body;
        String resp = exchange(open.port(), ascii(req), false, 5000);
        assertThat(resp).startsWith("HTTP/1.1 400").contains("<Code>MalformedXML</Code>");
    }

    @Test
    void invalidUtf8KeyIsRefusedWith400() throws Exception {
        String req = "PUT /m/bad/%C3%28 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n"
                + "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nConnection: close\r\n\r\nz";
        String resp = exchange(open.port(), ascii(req), false, 5000);
        assertThat(resp).startsWith("HTTP/1.1 400");
    }

    @Test
    void skewedClockIsRequestTimeTooSkewed() {
        try (S3Client c = skewed.client()) {
            assertThatThrownBy(() -> c.listObjectsV2(b -> b.bucket(BUCKET)))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                            .isEqualTo("RequestTimeTooSkewed"));
        }
    }

    @Test
    void expiredPresignedUrlIsAccessDenied() throws Exception {
        {
            // The skewed server's clock is an hour ahead: a 10-minute URL signed now has expired for it.
            URL url = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                    .endpointOverride(skewed.endpoint)
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(S3Rig.ACCESS,
                                    S3Rig.SECRET)))
                    .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
                            .pathStyleAccessEnabled(true).build())
                    .build()
                    .presignGetObject(b -> b.signatureDuration(Duration.ofMinutes(10))
                            .getObjectRequest(g -> g.bucket(BUCKET).key("any")))
                    .url();
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            assertThat(c.getResponseCode()).isEqualTo(403);
            assertThat(new String(c.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("AccessDenied").contains("expired");
            c.disconnect();
        }
    }
}
