package io.wcache.s3.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PayloadVerifierTest {
    static final byte[] DATA = "hello, write cache".getBytes(StandardCharsets.UTF_8);

    static String b64(String alg) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance(alg).digest(DATA));
    }

    static String crc32c() {
        IncrementalChecksum c = ChecksumAlgorithm.CRC32C.newChecksum();
        c.update(DATA, 0, DATA.length);
        return Base64.getEncoder().encodeToString(c.finish());
    }

    static S3ErrorCode failure(PayloadVerifier v, Map<String, String> trailers) {
        v.update(DATA, 0, 5);
        v.update(DATA, 5, DATA.length - 5);
        try {
            v.finish(trailers);
        } catch (S3Exception e) {
            return e.code();
        }
        throw new AssertionError("accepted");
    }

    @Test
    void matchingDigestsYieldTheLengthAndChecksum() throws Exception {
        var spec = ChecksumSpec.fromHeaders(new DefaultHttpHeaders().set("x-amz-checksum-crc32c", crc32c()));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(DATA));
        PayloadVerifier v = new PayloadVerifier(Optional.of(b64("MD5")), Optional.of(sha.toUpperCase()), spec);
        v.update(DATA, 0, DATA.length);
        VerifiedPayload p = v.finish(Map.of());
        assertThat(p.length()).isEqualTo(DATA.length);
        assertThat(p.checksum()).contains(new ChecksumValue(ChecksumAlgorithm.CRC32C, crc32c()));
    }

    @Test
    void contentMd5MismatchIsBadDigest() throws Exception {
        String otherMd5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(new byte[1]));
        assertThat(failure(new PayloadVerifier(Optional.of(otherMd5), Optional.empty(), Optional.empty()), Map.of()))
                .isEqualTo(S3ErrorCode.BAD_DIGEST);
    }

    @Test
    void contentSha256MismatchIsXAmzContentSha256Mismatch() {
        String wrong = "0".repeat(64);
        assertThat(failure(new PayloadVerifier(Optional.empty(), Optional.of(wrong), Optional.empty()), Map.of()))
                .isEqualTo(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH);
    }

    @Test
    void checksumHeaderMismatchIsBadDigestNamingTheAlgorithm() throws Exception {
        var spec = ChecksumSpec.fromHeaders(new DefaultHttpHeaders().set("x-amz-checksum-sha1",
                Base64.getEncoder().encodeToString(new byte[20])));
        PayloadVerifier v = new PayloadVerifier(Optional.empty(), Optional.empty(), spec);
        v.update(DATA, 0, DATA.length);
        assertThatThrownBy(() -> v.finish(Map.of())).isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.code()).isEqualTo(S3ErrorCode.BAD_DIGEST);
            assertThat(e.error().message()).contains("SHA1");
        });
    }

    @Test
    void announcedTrailerIsRequiredAndChecked() throws Exception {
        var headers = new DefaultHttpHeaders().set("x-amz-trailer", "x-amz-checksum-crc32c");
        var spec = ChecksumSpec.fromHeaders(headers);
        assertThat(spec).contains(new ChecksumSpec(ChecksumAlgorithm.CRC32C, Optional.empty(), true));
        assertThat(failure(new PayloadVerifier(Optional.empty(), Optional.empty(), spec), Map.of()))
                .isEqualTo(S3ErrorCode.INVALID_REQUEST);
        assertThat(failure(new PayloadVerifier(Optional.empty(), Optional.empty(), spec),
                Map.of("x-amz-checksum-crc32c", "AAAAAA=="))).isEqualTo(S3ErrorCode.BAD_DIGEST);
        assertThat(failure(new PayloadVerifier(Optional.empty(), Optional.empty(), spec),
                Map.of("x-amz-checksum-crc32c", "not base64!"))).isEqualTo(S3ErrorCode.BAD_DIGEST);
        PayloadVerifier ok = new PayloadVerifier(Optional.empty(), Optional.empty(), spec);
        ok.update(DATA, 0, DATA.length);
        assertThat(ok.finish(Map.of("x-amz-checksum-crc32c", crc32c())).checksum()).isPresent();
    }

    @Test
    void checksumHeadersAreValidated() {
        assertThatThrownBy(() -> ChecksumSpec.fromHeaders(new DefaultHttpHeaders()
                .set("x-amz-checksum-crc32", "AAAAAA==").set("x-amz-checksum-crc32c", "AAAAAA==")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_REQUEST));
        assertThatThrownBy(() -> ChecksumSpec.fromHeaders(new DefaultHttpHeaders().set("x-amz-checksum-crc32", "AAAA")))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.code()).isEqualTo(S3ErrorCode.BAD_DIGEST);
                    assertThat(e.error().message()).startsWith("Value for x-amz-checksum-crc32 header is invalid");
                });
        assertThatThrownBy(() -> ChecksumSpec.fromHeaders(new DefaultHttpHeaders().set("x-amz-sdk-checksum-algorithm", "MD4")))
                .isInstanceOf(S3Exception.class);
        assertThat(ChecksumSpec.fromHeaders(new DefaultHttpHeaders().set("x-amz-sdk-checksum-algorithm", "crc64nvme")))
                .contains(new ChecksumSpec(ChecksumAlgorithm.CRC64NVME, Optional.empty(), false));
        assertThat(ChecksumSpec.fromHeaders(new DefaultHttpHeaders())).isEmpty();
    }
}
