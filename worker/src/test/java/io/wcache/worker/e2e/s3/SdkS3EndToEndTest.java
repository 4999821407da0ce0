package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The real AWS SDK v2 S3 client against a real worker's S3 endpoint: every single-object operation end to end. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkS3EndToEndTest {

    @TempDir
    static Path root;
    S3Rig rig;
    S3Client s3;

    @BeforeAll
    void start() {
        rig = new S3Rig(root);
        s3 = rig.client();
    }

    @AfterAll
    void stop() {
        s3.close();
        rig.close();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String md5Hex(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    @Test
    void putThenGetReturnsBytesMetadataContentTypeAndMd5Etag() throws Exception {
        byte[] body = bytes(3 * 1024 * 1024 + 17, 1);
        var put = s3.putObject(b -> b.bucket(BUCKET).key("dir/obj.bin").contentType("text/plain; charset=utf-8")
                .metadata(Map.of("colour", "blue", "note", "=?UTF-8?B?w6lsw6h2ZQ==?=",
                        "snow", "=?UTF-8?B?4piD?=")), RequestBody.fromBytes(body));
        assertThat(put.eTag()).isEqualTo("\"" + md5Hex(body) + "\"");

        ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("dir/obj.bin"));
        assertThat(got.asByteArray()).isEqualTo(body);
        assertThat(got.response().eTag()).isEqualTo(put.eTag());
        assertThat(got.response().contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(got.response().metadata()).containsEntry("colour", "blue");

        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key("dir/obj.bin"));
        assertThat(head.contentLength()).isEqualTo(body.length);
        assertThat(head.eTag()).isEqualTo(put.eTag());
        // Non-ASCII metadata within ISO-8859-1 comes back as its ISO-8859-1 octets, which the SDK
        // reads as the value sent; beyond it, as the RFC 2047 encoded-word S3 returns.
        assertThat(head.metadata().get("note")).isEqualTo("\u00e9l\u00e8ve");
        assertThat(head.metadata().get("snow")).isEqualTo("=?UTF-8?B?4piD?=");
    }

    @Test
    void requestsAreTimedByOperationAndStatusClass() {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        io.micrometer.core.instrument.Metrics.addRegistry(registry);
        try {
            s3.putObject(b -> b.bucket(BUCKET).key("metrics/one"), RequestBody.fromString("x"));
            s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("metrics/one"));
            assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("metrics/none")))
                    .isInstanceOf(NoSuchKeyException.class);
            var put = registry.find("wcache.s3.requests").tags("operation", "PUT_OBJECT", "status", "2xx").timer();
            var got = registry.find("wcache.s3.requests").tags("operation", "GET_OBJECT", "status", "2xx").timer();
            var missing = registry.find("wcache.s3.requests").tags("operation", "GET_OBJECT", "status", "4xx").timer();
            assertThat(put).isNotNull();
            assertThat(put.count()).isEqualTo(1);
            assertThat(got.count()).isEqualTo(1);
            assertThat(missing.count()).isEqualTo(1);
            assertThat(put.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
        } finally {
            io.micrometer.core.instrument.Metrics.removeRegistry(registry);
        }
    }

    @Test
    void missingKeyAndUnknownBucketAreTypedErrors() {
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("nope")))
                .isInstanceOf(NoSuchKeyException.class);
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket("no-such-bucket").key("x")))
                .isInstanceOf(NoSuchBucketException.class);
        assertThatThrownBy(() -> s3.headBucket(b -> b.bucket("no-such-bucket")))
                .isInstanceOf(S3Exception.class).extracting(e -> ((S3Exception) e).statusCode()).isEqualTo(404);
        s3.headBucket(b -> b.bucket(BUCKET));
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).contains(BUCKET);
    }

    @Test
    void createBucketOfUnknownNameIsRefusedClearly() {
        assertThatThrownBy(() -> s3.createBucket(b -> b.bucket("brand-new")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("AccessDenied"))
                .hasMessageContaining("mount");
    }

    @Test
    void wrongSecretIsSignatureDoesNotMatch() {
        try (S3Client bad = rig.client("not-the-secret")) {
            assertThatThrownBy(() -> bad.listObjectsV2(b -> b.bucket(BUCKET)))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                            .isEqualTo("SignatureDoesNotMatch"));
        }
    }

    @Test
    void rangesServeTheRequestedBytesAndUnsatisfiableIsInvalidRange() {
        byte[] body = bytes(100_000, 2);
        s3.putObject(b -> b.bucket(BUCKET).key("range/x"), RequestBody.fromBytes(body));
        var mid = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("range/x").range("bytes=1000-1999"));
        assertThat(mid.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(body, 1000, 2000));
        assertThat(mid.response().contentRange()).isEqualTo("bytes 1000-1999/100000");
        var tail = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("range/x").range("bytes=-10"));
        assertThat(tail.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(body, 99_990, 100_000));
        var from = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("range/x").range("bytes=99000-"));
        assertThat(from.asByteArray()).hasSize(1000);
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("range/x").range("bytes=200000-")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(416));
    }

    @Test
    void conditionalReadsAndConditionalPut() {
        var put = s3.putObject(b -> b.bucket(BUCKET).key("cond/x"), RequestBody.fromString("v1"));
        String etag = put.eTag();
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("cond/x").ifMatch(etag)).asUtf8String())
                .isEqualTo("v1");
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("cond/x").ifMatch("\"abc\"")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("cond/x").ifNoneMatch(etag)))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(304));
        Instant future = Instant.now().plus(Duration.ofHours(1));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("cond/x").ifModifiedSince(future)))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(304));
        Instant past = Instant.now().minus(Duration.ofDays(1));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("cond/x").ifUnmodifiedSince(past)))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));

        // If-None-Match: * refuses to overwrite, and the object is unchanged.
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("cond/x").ifNoneMatch("*"),
                RequestBody.fromString("v2")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("cond/x")).asUtf8String()).isEqualTo("v1");
        s3.putObject(b -> b.bucket(BUCKET).key("cond/new").ifNoneMatch("*"), RequestBody.fromString("fresh"));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("cond/new")).asUtf8String()).isEqualTo("fresh");
    }

    @Test
    void listingsGroupByAnyDelimiterAndKeepKeysThatArePrefixesOfOthers() {
        for (String k : List.of("ls/a/b", "ls/a/b/c", "ls/a/d", "ls/x-1", "ls/x-2", "ls/y")) {
            s3.putObject(b -> b.bucket(BUCKET).key(k), RequestBody.fromString(k));
        }
        ListObjectsV2Response all = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("ls/"));
        assertThat(all.contents()).extracting(S3Object::key)
                .containsExactly("ls/a/b", "ls/a/b/c", "ls/a/d", "ls/x-1", "ls/x-2", "ls/y");

        ListObjectsV2Response slash = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("ls/").delimiter("/"));
        assertThat(slash.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("ls/a/");
        assertThat(slash.contents()).extracting(S3Object::key).containsExactly("ls/x-1", "ls/x-2", "ls/y");

        ListObjectsV2Response dash = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("ls/").delimiter("-"));
        assertThat(dash.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("ls/x-");

        ListObjectsV2Response ab = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("ls/a/b"));
        assertThat(ab.contents()).extracting(S3Object::key).containsExactly("ls/a/b", "ls/a/b/c");

        // Pagination: v2 tokens and v1 markers both walk every key exactly once.
        List<String> v2 = s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("ls/").maxKeys(2)).contents()
                .stream().map(S3Object::key).toList();
        assertThat(v2).containsExactly("ls/a/b", "ls/a/b/c", "ls/a/d", "ls/x-1", "ls/x-2", "ls/y");
        List<String> v1 = new java.util.ArrayList<>();
        String marker = null;
        for (int page = 0; page < 10; page++) {
            String m = marker;
            var l = s3.listObjects(b -> b.bucket(BUCKET).prefix("ls/").maxKeys(2).marker(m));
            l.contents().forEach(o -> v1.add(o.key()));
            if (!l.isTruncated()) {
                break;
            }
            marker = l.contents().get(l.contents().size() - 1).key();
        }
        assertThat(v1).containsExactly("ls/a/b", "ls/a/b/c", "ls/a/d", "ls/x-1", "ls/x-2", "ls/y");
        var v1Grouped = s3.listObjects(b -> b.bucket(BUCKET).prefix("ls/").delimiter("/").maxKeys(1));
        assertThat(v1Grouped.isTruncated()).isTrue();
        assertThat(v1Grouped.nextMarker()).isEqualTo("ls/a/");
        var v1Next = s3.listObjects(b -> b.bucket(BUCKET).prefix("ls/").delimiter("/").marker("ls/a/"));
        assertThat(v1Next.contents()).extracting(S3Object::key).containsExactly("ls/x-1", "ls/x-2", "ls/y");
        assertThat(v1Next.commonPrefixes()).isEmpty();
    }

    @Test
    void urlEncodedListingCarriesKeysXmlCannotHold() {
        String key = "enc/tab\there & ü";
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("x"));
        // The SDK asks for encoding-type=url by default and decodes the keys itself.
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("enc/")).contents()).extracting(S3Object::key)
                .containsExactly(key);
    }

    @Test
    void copyObjectCopiesBytesAndMetadataOrReplacesMetadata() throws Exception {
        byte[] body = bytes(2_500_000, 3);
        s3.putObject(b -> b.bucket(BUCKET).key("copy/src").contentType("image/png").metadata(Map.of("k", "v")),
                RequestBody.fromBytes(body));
        var copied = s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("copy/src").destinationBucket(BUCKET)
                .destinationKey("copy/dst"));
        assertThat(copied.copyObjectResult().eTag()).isEqualTo("\"" + md5Hex(body) + "\"");
        var got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("copy/dst"));
        assertThat(got.asByteArray()).isEqualTo(body);
        assertThat(got.response().contentType()).isEqualTo("image/png");
        assertThat(got.response().metadata()).containsEntry("k", "v");

        s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("copy/src").destinationBucket(BUCKET)
                .destinationKey("copy/dst2").metadataDirective(MetadataDirective.REPLACE).metadata(Map.of("n", "m"))
                .contentType("text/csv"));
        var head = s3.headObject(b -> b.bucket(BUCKET).key("copy/dst2"));
        assertThat(head.metadata()).containsOnlyKeys("n");
        assertThat(head.contentType()).isEqualTo("text/csv");

        assertThatThrownBy(() -> s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("copy/src")
                .destinationBucket(BUCKET).destinationKey("copy/dst3").copySourceIfMatch("\"0000\"")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("copy/dst3")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void deleteAndDeleteObjects() {
        for (String k : List.of("del/1", "del/2", "del/3")) {
            s3.putObject(b -> b.bucket(BUCKET).key(k), RequestBody.fromString(k));
        }
        s3.deleteObject(b -> b.bucket(BUCKET).key("del/1"));
        s3.deleteObject(b -> b.bucket(BUCKET).key("del/never-existed"));
        DeleteObjectsResponse r = s3.deleteObjects(b -> b.bucket(BUCKET).delete(Delete.builder()
                .objects(ObjectIdentifier.builder().key("del/2").build(),
                        ObjectIdentifier.builder().key("del/3").build(),
                        ObjectIdentifier.builder().key("del/../escape").build()).build()));
        assertThat(r.deleted()).extracting(d -> d.key()).containsExactlyInAnyOrder("del/2", "del/3");
        assertThat(r.errors()).extracting(e -> e.key()).containsExactly("del/../escape");
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("del/")).contents()).isEmpty();
    }

    @Test
    void flexibleChecksumsAreValidatedAndEchoed() {
        for (ChecksumAlgorithm a : List.of(ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32_C)) {
            byte[] body = bytes(300_000, a.ordinal());
            var put = s3.putObject(b -> b.bucket(BUCKET).key("ck/" + a).checksumAlgorithm(a),
                    RequestBody.fromBytes(body));
            assertThat(a == ChecksumAlgorithm.CRC32 ? put.checksumCRC32() : put.checksumCRC32C()).isNotBlank();
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("ck/" + a)).asByteArray()).isEqualTo(body);
        }
    }

    @Test
    void contentMd5MismatchIsBadDigestAndNothingIsVisible() {
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("md5/bad")
                        .contentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="), RequestBody.fromString("not empty")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("BadDigest"));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("md5/bad")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void keysEscapingTheNamespaceAreRefused() {
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("a/../../etc/passwd"),
                RequestBody.fromString("x")))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(400));
    }

    @Test
    void presignedGetAndPutWork() throws Exception {
        try (var presigner = rig.presigner()) {
            var putUrl = presigner.presignPutObject(b -> b.signatureDuration(Duration.ofMinutes(5))
                    .putObjectRequest(p -> p.bucket(BUCKET).key("pre/obj"))).url();
            HttpURLConnection c = (HttpURLConnection) putUrl.openConnection();
            c.setRequestMethod("PUT");
            c.setDoOutput(true);
            c.getOutputStream().write("presigned body".getBytes(StandardCharsets.UTF_8));
            assertThat(c.getResponseCode()).isEqualTo(200);
            c.disconnect();

            URL getUrl = presigner.presignGetObject(b -> b.signatureDuration(Duration.ofMinutes(5))
                    .getObjectRequest(g -> g.bucket(BUCKET).key("pre/obj"))).url();
            HttpURLConnection g = (HttpURLConnection) getUrl.openConnection();
            assertThat(g.getResponseCode()).isEqualTo(200);
            assertThat(new String(g.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("presigned body");
            g.disconnect();

            URL tampered = new URL(getUrl.toString().replace("pre/obj", "pre/other"));
            HttpURLConnection t = (HttpURLConnection) tampered.openConnection();
            assertThat(t.getResponseCode()).isEqualTo(403);
            t.disconnect();
        }
    }
}
