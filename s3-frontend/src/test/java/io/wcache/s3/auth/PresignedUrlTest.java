package io.wcache.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.testing.SdkSigned;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

class PresignedUrlTest {
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

    static S3Request presignedGet(String key, Duration validity) {
        var p = presigner.presignGetObject(r -> r.signatureDuration(validity)
                .getObjectRequest(g -> g.bucket("bucket").key(key)));
        SdkSigned s = SdkSigned.from(p.httpRequest(), null);
        return SigV4VerifierTest.PARSER.parse(s.method(), s.uri(), s.headers());
    }

    @Test
    void presignedGetFromS3PresignerIsAcceptedUntilItExpires() {
        Instant signedAt = Instant.now();
        S3Request req = presignedGet("photos/2026/ünï code.jpg", Duration.ofMinutes(10));
        assertThat(req.operation()).isEqualTo(S3Operation.GET_OBJECT);
        assertThat(req.key()).contains("photos/2026/ünï code.jpg");
        assertThat(SigV4VerifierTest.verifierAt(signedAt).verify(req).accessKey()).contains(SdkSigned.ACCESS_KEY);
        assertThat(SigV4VerifierTest.verifierAt(signedAt.plus(Duration.ofMinutes(9))).verify(req).payloadMode())
                .isEqualTo(PayloadMode.UNSIGNED);
        assertThatThrownBy(() -> SigV4VerifierTest.verifierAt(signedAt.plus(Duration.ofMinutes(11))).verify(req))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
                    assertThat(e.error().message()).isEqualTo("Request has expired");
                });
    }

    @Test
    void presignedPutCoversTheKeyAndMethod() {
        Instant signedAt = Instant.now();
        var p = presigner.presignPutObject(r -> r.signatureDuration(Duration.ofMinutes(5))
                .putObjectRequest(g -> g.bucket("bucket").key("a/b")));
        SdkSigned s = SdkSigned.from(p.httpRequest(), null);
        s.headers().set("Content-Length", "5"); // what the uploading client adds; not signed
        SigV4Verifier v = SigV4VerifierTest.verifierAt(signedAt);
        assertThat(v.verify(SigV4VerifierTest.PARSER.parse(s.method(), s.uri(), s.headers())).accessKey()).isPresent();
        String otherKey = s.uri().replace("/bucket/a/b?", "/bucket/a/c?");
        assertThatThrownBy(() -> v.verify(SigV4VerifierTest.PARSER.parse("PUT", otherKey, s.headers())))
                .isInstanceOfSatisfying(S3Exception.class,
                        e -> assertThat(e.code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        assertThatThrownBy(() -> v.verify(SigV4VerifierTest.PARSER.parse("DELETE", s.uri(), s.headers())))
                .isInstanceOfSatisfying(S3Exception.class,
                        e -> assertThat(e.code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
    }

    static SdkSigned querySigned(Instant at, Duration expiry) {
        SdkHttpRequest req = SdkHttpRequest.builder().method(SdkHttpMethod.GET)
                .uri(URI.create("http://127.0.0.1:9000/bucket/key")).build();
        var signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsBasicCredentials.create(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY))
                .request(req)
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4HttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, expiry)
                .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC)));
        return SdkSigned.from(signed.request(), null);
    }

    static S3Exception rejection(SdkSigned s, Instant now) {
        return SigV4VerifierTest.rejection(s, now);
    }

    @Test
    void presignedUrlFromTheFutureIsNotYetValid() {
        SdkSigned s = querySigned(SigV4VerifierTest.T.plus(Duration.ofHours(1)), Duration.ofMinutes(5));
        assertThat(rejection(s, SigV4VerifierTest.T)).satisfies(e -> {
            assertThat(e.code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
            assertThat(e.error().message()).contains("not valid yet");
        });
    }

    @Test
    void presignExpiryOfMoreThanSevenDaysIsRefused() {
        SdkSigned s = querySigned(SigV4VerifierTest.T, Duration.ofDays(7));
        assertThat(SigV4VerifierTest.verifierAt(SigV4VerifierTest.T.plus(Duration.ofDays(6))).verify(
                SigV4VerifierTest.parse(s)).accessKey()).isPresent();
        SdkSigned tooLong = new SdkSigned(s.method(), s.uri().replace("X-Amz-Expires=604800", "X-Amz-Expires=604801"),
                s.headers(), null);
        // as S3 (ceph/s3-tests test_object_raw_get_x_amz_expires_out_*): 403, not 400
        assertThat(rejection(tooLong, SigV4VerifierTest.T).code()).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        for (String bad : new String[] {"0", "-1000"}) {
            SdkSigned out = new SdkSigned(s.method(), s.uri().replace("X-Amz-Expires=604800", "X-Amz-Expires=" + bad),
                    s.headers(), null);
            assertThat(rejection(out, SigV4VerifierTest.T).code()).as(bad).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        }
    }

    @Test
    void tamperedPresignedParametersAreRejected() {
        SdkSigned s = querySigned(SigV4VerifierTest.T, Duration.ofMinutes(5));
        String uri = s.uri();
        assertThat(rejection(new SdkSigned("GET", uri.replace("X-Amz-Expires=300", "X-Amz-Expires=900"), s.headers(), null),
                SigV4VerifierTest.T).code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        assertThat(rejection(new SdkSigned("GET", uri + "&extra=1", s.headers(), null), SigV4VerifierTest.T).code())
                .isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        assertThat(rejection(new SdkSigned("GET", uri.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-HMAC-SHA1"), s.headers(), null), SigV4VerifierTest.T).code())
                .isEqualTo(S3ErrorCode.AUTHORIZATION_QUERY_PARAMETERS_ERROR);
        assertThat(rejection(new SdkSigned("GET", uri.replace("X-Amz-Credential=" + SdkSigned.ACCESS_KEY,
                "X-Amz-Credential=NOBODY"), s.headers(), null), SigV4VerifierTest.T).code())
                .isEqualTo(S3ErrorCode.INVALID_ACCESS_KEY_ID);
        s.headers().set("Authorization", "AWS4-HMAC-SHA256 Credential=x");
        assertThat(rejection(s, SigV4VerifierTest.T).code()).isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
    }
}
