package io.wcache.s3.chunked;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.testing.CapturingHttpClient;
import io.wcache.s3.testing.SdkSigned;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;

/** Uploads made by the real S3 client with its default settings decode and verify end to end. */
class SdkClientUploadTest {
    static final SigV4Verifier VERIFIER = new SigV4Verifier(
            AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)), Clock.systemUTC());
    static CapturingHttpClient http;
    static S3Client s3;

    @BeforeAll
    static void start() {
        http = new CapturingHttpClient();
        http.respond(r -> new byte[0], Map.of("ETag", "\"00000000000000000000000000000000\""));
        s3 = CapturingHttpClient.s3Client(http);
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @Test
    void defaultPutObjectFromTheS3ClientVerifies() {
        byte[] payload = AwsChunkedDecoderTest.payload(300_000);
        // The client checks the ETag it gets back against the MD5 of what it sent.
        http.respond(r -> new byte[0], Map.of("ETag", io.wcache.s3.etag.ETags.of(payload)));
        s3.putObject(r -> r.bucket("bucket").key("dir/ünï code+.bin").metadata(Map.of("owner", "Zoë")),
                RequestBody.fromBytes(payload));
        SdkSigned sent = http.last();
        var req = ChunkedBodies.PARSER.parse(sent.method(), sent.uri(), sent.headers());
        assertThat(req.operation()).isEqualTo(S3Operation.PUT_OBJECT);
        // Over plain HTTP the client signs its chunks (SDK 2.29: no trailer; 2.30+: a CRC32 trailer).
        assertThat(req.awsChunked()).isTrue();
        assertThat(sent.headers().get("x-amz-content-sha256")).startsWith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assertThat(req.key()).contains("dir/ünï code+.bin");
        assertThat(req.userMetadata()).containsEntry("owner", "Zoë");
        assertThat(ChunkedBodies.receive(VERIFIER, sent, sent.body()).payload()).isEqualTo(payload);
    }

    @Test
    void uploadPartWithExplicitChecksumFromTheS3ClientVerifies() {
        byte[] payload = "part payload".repeat(1000).getBytes(StandardCharsets.UTF_8);
        s3.uploadPart(r -> r.bucket("bucket").key("k").uploadId("up-1").partNumber(3)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromBytes(payload));
        SdkSigned sent = http.last();
        var req = ChunkedBodies.PARSER.parse(sent.method(), sent.uri(), sent.headers());
        assertThat(req.operation()).isEqualTo(S3Operation.UPLOAD_PART);
        assertThat(req.partNumber()).hasValue(3);
        assertThat(req.uploadId()).contains("up-1");
        ChunkedBodies.Decoded d = ChunkedBodies.receive(VERIFIER, sent, sent.body());
        assertThat(d.payload()).isEqualTo(payload);
        assertThat(d.verified().checksum()).get().satisfies(c ->
                assertThat(c.algorithm()).isEqualTo(io.wcache.s3.checksum.ChecksumAlgorithm.CRC32C));
    }
}
