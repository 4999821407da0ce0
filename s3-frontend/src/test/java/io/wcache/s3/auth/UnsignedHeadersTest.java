package io.wcache.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.testing.SdkSigned;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * A signature authorises only what it covers: an {@code x-amz-*} header or {@code Content-MD5}
 * added to a presigned URL or to a header-signed request is refused with S3's
 * {@code AccessDenied}, and V2 presigned URLs are capped at seven days like V4 ones.
 */
class UnsignedHeadersTest {
    static S3Presigner presigner;

    @BeforeAll
    static void start() {
        presigner = S3Presigner.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:9000"))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)))
                .build();
    }

    @AfterAll
    static void stop() {
        presigner.close();
    }

    static S3Exception refusal(SigV4Verifier v, S3Request r) {
        try {
            v.verify(r);
        } catch (S3Exception e) {
            return e;
        }
        throw new AssertionError("request was accepted");
    }

    static void assertUnsignedHeaderRefusal(S3Exception e) {
        assertThat(e.code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(e.error().httpStatus()).isEqualTo(403);
        assertThat(e.error().message()).isEqualTo("There were headers present in the request which were not signed");
    }

    @Test
    void presignedPutWithAnAddedCopySourceIsNotTurnedIntoACopy() {
        Instant signedAt = Instant.now();
        var p = presigner.presignPutObject(r -> r.signatureDuration(Duration.ofMinutes(5))
                .putObjectRequest(g -> g.bucket("demo").key("uploads/avatar.png")));
        SdkSigned s = SdkSigned.from(p.httpRequest(), null);
        s.headers().set("Content-Length", "0");
        SigV4Verifier v = SigV4VerifierTest.verifierAt(signedAt);
        assertThat(v.verify(SigV4VerifierTest.parse(s)).accessKey()).isPresent();

        s.headers().set("x-amz-copy-source", "/demo/secret/payroll.csv");
        S3Request attack = SigV4VerifierTest.parse(s);
        assertThat(attack.operation()).isEqualTo(S3Operation.COPY_OBJECT);
        assertUnsignedHeaderRefusal(refusal(v, attack));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-amz-meta-owner", "X-Amz-Acl", "x-amz-tagging", "x-amz-content-sha256", "Content-MD5"})
    void presignedUrlRefusesAnyUnsignedAmzHeader(String header) {
        Instant signedAt = Instant.now();
        var p = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(5))
                .getObjectRequest(g -> g.bucket("demo").key("k")));
        SdkSigned s = SdkSigned.from(p.httpRequest(), null);
        s.headers().set(header, header.equalsIgnoreCase("x-amz-content-sha256") ? "UNSIGNED-PAYLOAD"
                : header.equals("Content-MD5") ? "1B2M2Y8AsgTpgAmY7PhCfg==" : "x");
        assertUnsignedHeaderRefusal(refusal(SigV4VerifierTest.verifierAt(signedAt), SigV4VerifierTest.parse(s)));
    }

    @Test
    void presignedUrlWithSignedAmzHeadersIsAccepted() {
        Instant signedAt = Instant.now();
        var p = presigner.presignPutObject(r -> r.signatureDuration(Duration.ofMinutes(5))
                .putObjectRequest(g -> g.bucket("demo").key("k").metadata(Map.of("owner", "me"))
                        .contentType("text/plain")));
        SdkSigned s = SdkSigned.from(p.httpRequest(), null);
        assertThat(s.headers().get("x-amz-meta-owner")).isEqualTo("me");
        s.headers().set("Content-Length", "0");
        assertThat(SigV4VerifierTest.verifierAt(signedAt).verify(SigV4VerifierTest.parse(s)).accessKey()).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-amz-copy-source", "x-amz-meta-added", "x-amz-server-side-encryption", "Content-MD5"})
    void headerSignedRequestRefusesAnAddedUnsignedHeader(String header) {
        byte[] body = "payload".getBytes(StandardCharsets.UTF_8);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, SigV4VerifierTest.url("bucket", "key"),
                Map.of("x-amz-meta-color", "blue"), body, SdkSigned.Options.plain(SigV4VerifierTest.T));
        assertThat(SigV4VerifierTest.verifierAt(SigV4VerifierTest.T).verify(SigV4VerifierTest.parse(s)).accessKey())
                .isPresent();
        s.headers().set(header, header.equals("x-amz-copy-source") ? "/bucket/other"
                : header.equals("Content-MD5") ? "1B2M2Y8AsgTpgAmY7PhCfg==" : "AES256");
        assertUnsignedHeaderRefusal(refusal(SigV4VerifierTest.verifierAt(SigV4VerifierTest.T),
                SigV4VerifierTest.parse(s)));
    }

    @Test
    void headersOutsideTheRuleNeedNoSignature() {
        byte[] body = "payload".getBytes(StandardCharsets.UTF_8);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, SigV4VerifierTest.url("bucket", "key"), Map.of(), body,
                SdkSigned.Options.plain(SigV4VerifierTest.T));
        s.headers().set("User-Agent", "curl/8").set("Expect", "100-continue").set("X-Amzn-Trace-Id", "Root=1");
        assertThat(SigV4VerifierTest.verifierAt(SigV4VerifierTest.T).verify(SigV4VerifierTest.parse(s)).accessKey())
                .isPresent();
    }

    // ------------------------------------------------------------------ V2 presigned URLs

    static S3Request v2Presigned(long expires) throws Exception {
        String target = "/bucket/key?AWSAccessKeyId=" + SdkSigned.ACCESS_KEY + "&Expires=" + expires + "&Signature=";
        HttpHeaders h = new DefaultHttpHeaders().set("Host", "127.0.0.1:9000");
        S3Request unsigned = SigV4VerifierTest.PARSER.parse("GET", target, h);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(SdkSigned.SECRET_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        String sig = Base64.getEncoder().encodeToString(mac.doFinal(
                PresignedV2.stringToSign(unsigned, Long.toString(expires)).getBytes(StandardCharsets.UTF_8)));
        return SigV4VerifierTest.PARSER.parse("GET", target + java.net.URLEncoder.encode(sig, StandardCharsets.UTF_8), h);
    }

    @Test
    void v2PresignedUrlIsCappedAtSevenDaysLikeV4() throws Exception {
        Instant now = SigV4VerifierTest.T;
        SigV4Verifier v = SigV4VerifierTest.verifierAt(now);
        assertThat(v.verify(v2Presigned(now.plus(Duration.ofDays(7)).getEpochSecond())).accessKey()).isPresent();
        S3Exception e = refusal(v, v2Presigned(now.plus(Duration.ofDays(7)).getEpochSecond() + 1));
        assertThat(e.code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(e.error().message()).contains("7 days");
        assertThat(refusal(v, v2Presigned(999_999_999_999L)).code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
    }

    @Test
    void v2PresignedUrlCoversEveryAmzHeader() throws Exception {
        SigV4Verifier v = SigV4VerifierTest.verifierAt(SigV4VerifierTest.T);
        S3Request ok = v2Presigned(SigV4VerifierTest.T.plusSeconds(600).getEpochSecond());
        assertThat(v.verify(ok).accessKey()).isPresent();
        ok.headers().set("x-amz-copy-source", "/bucket/secret");
        S3Request attack = SigV4VerifierTest.PARSER.parse("PUT", ok.rawPath() + "?" + ok.rawQuery(), ok.headers());
        assertThat(refusal(v, attack).code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
    }
}
