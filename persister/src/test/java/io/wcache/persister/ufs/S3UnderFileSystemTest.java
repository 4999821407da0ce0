package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.TempDirs;
import io.wcache.persister.testing.PatternSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The UFS contract and the S3-specific behaviour against a real S3 server (s3proxy) on 127.0.0.1. */
class S3UnderFileSystemTest extends UnderFileSystemContract {

    private static final String BUCKET = "ufs";
    private static EmbeddedS3Server server;
    private static final AtomicInteger MOUNTS = new AtomicInteger();

    private S3UnderFileSystem ufs;
    private String prefix;

    @BeforeAll
    static void startServer() throws Exception {
        server = EmbeddedS3Server.start(TempDirs.create("s3proxy"));
        server.createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        TempDirs.delete(server.baseDir());
    }

    @BeforeEach
    void open(TestInfo info) {
        // Each test gets its own prefix, so tests see an empty mount without restarting the server.
        prefix = "t" + MOUNTS.incrementAndGet();
        ufs = open(Map.of());
    }

    private S3UnderFileSystem open(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(server.ufsOptions());
        options.put("multipart.threshold", "8MiB");
        options.put("multipart.part.size", "5MiB");
        options.put("connect.timeout", "1s");
        options.put("socket.timeout", "5s");
        options.put("max.attempts", "2");
        options.putAll(extra);
        return (S3UnderFileSystem) UnderFileSystem.open(URI.create("s3://" + BUCKET + "/" + prefix), options);
    }

    @AfterEach
    void close() {
        ufs.close();
    }

    @Override
    protected UnderFileSystem ufs() {
        return ufs;
    }

    private Path storedFile(String key) {
        return server.baseDir().resolve(BUCKET).resolve(prefix).resolve(key);
    }

    @Test
    void uriNamesBucketAndPrefix() {
        assertThat(ufs.uri()).isEqualTo(URI.create("s3://ufs/" + prefix));
    }

    @Test
    void objectAboveThresholdIsUploadedInPartsAndStoredByteIdentical() throws Exception {
        PatternSource source = new PatternSource(10L << 20, 3);
        UfsObject put = ufs.put("mp/ten", source, PutOptions.contentType("application/x-test").withUserMetadata(Map.of("a", "b")));
        assertThat(put.etag()).endsWith("-2");
        try (InputStream stored = Files.newInputStream(storedFile("mp/ten"))) {
            assertThat(PatternSource.sha256(stored)).isEqualTo(source.sha256());
        }
        UfsObject head = ufs.head("mp/ten").orElseThrow();
        assertThat(head.size()).isEqualTo(10L << 20);
        assertThat(head.etag()).isEqualTo(put.etag());
        assertThat(head.contentType()).isEqualTo("application/x-test");
        assertThat(head.userMetadata()).containsEntry("a", "b");
    }

    @Test
    void eachUploadRequestRecordsTheClientsOwnTimeAndNothingElseDoes() {
        java.util.List<io.wcache.core.metrics.Stage> recorded = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<Long> nanos = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.wcache.core.metrics.Stages.Recorder previous = io.wcache.core.metrics.Stages.recorder();
        io.wcache.core.metrics.Stages.install((stage, n) -> {
            recorded.add(stage);
            nanos.add(n);
        });
        try {
            ufs.put("client/small", new PatternSource(10_000, 1), PutOptions.DEFAULT);
            ufs.put("client/parts", new PatternSource(10L << 20, 2), PutOptions.DEFAULT);
            ufs.head("client/small");
        } finally {
            io.wcache.core.metrics.Stages.install(previous);
        }
        // One PutObject, then two UploadParts; the multipart create/complete and the HEAD are not uploads of bytes.
        assertThat(recorded).containsOnly(io.wcache.core.metrics.Stage.UPLOAD_CLIENT).hasSize(3);
        assertThat(nanos).allSatisfy(n -> assertThat(n).isPositive());
    }

    @Test
    void standardHeadersAreSetOnSingleAndMultipartUploadsAndReadBackByHead() {
        Map<String, String> headers = Map.of("cache-control", "max-age=300", "content-disposition",
                "attachment; filename=\"r.txt\"", "content-encoding", "gzip", "content-language", "en-GB",
                "expires", "Wed, 01 Dec 2094 16:00:00 GMT");
        PutOptions opts = PutOptions.contentType("text/plain").withStandardHeaders(headers);
        ufs.put("h/single", bytes("single"), opts);
        ufs.put("h/multi", new PatternSource(10L << 20, 5), opts);
        for (String key : List.of("h/single", "h/multi")) {
            UfsObject head = ufs.head(key).orElseThrow();
            assertThat(head.standardHeaders()).as(key).containsAllEntriesOf(Map.of("cache-control", "max-age=300",
                    "content-disposition", "attachment; filename=\"r.txt\"", "content-encoding", "gzip",
                    "content-language", "en-GB"));
            assertThat(head.standardHeaders().get("expires")).as(key).isEqualTo("Wed, 01 Dec 2094 16:00:00 GMT");
        }
        // An Expires that is not a date is left out: s3proxy (like other S3-compatible stores) refuses it.
        ufs.put("h/odd", bytes("odd"), PutOptions.DEFAULT.withStandardHeaders(Map.of("expires", "0", "content-language", "fr")));
        assertThat(ufs.head("h/odd").orElseThrow().standardHeaders()).containsExactly(Map.entry("content-language", "fr"));
        assertThatThrownBy(() -> PutOptions.DEFAULT.withStandardHeaders(Map.of("cache-control", "caf\u00e9")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void bodiesAreSentWholeNotInAwsChunkedFormSoTheStoreKeepsNoChunkedEncoding() throws Exception {
        // Over plain HTTP the SDK framed every upload in signed aws-chunked chunks, which the store parsed
        // again (s3proxy a byte at a time) and kept as the object's Content-Encoding.
        UfsObject single = ufs.put("enc/single", bytes("single body"), PutOptions.DEFAULT);
        UfsObject multi = ufs.put("enc/multi", new PatternSource(10L << 20, 9), PutOptions.DEFAULT);
        assertThat(single.etag()).isEqualTo(md5("single body"));
        assertThat(multi.etag()).endsWith("-2");
        try (S3Client raw = rawClient()) {
            for (String key : List.of("enc/single", "enc/multi")) {
                var head = raw.headObject(b -> b.bucket(BUCKET).key(prefix + "/" + key));
                assertThat(head.contentEncoding()).as(key).isNull();
            }
        }
    }

    /** {@code body} with its MD5 given as known, counting the streams opened over it. */
    private static UploadSource withMd5(PatternSource body, String md5Hex, AtomicInteger opens) {
        return new UploadSource() {
            @Override
            public long length() {
                return body.length();
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                opens.incrementAndGet();
                return body.open(offset, length);
            }

            @Override
            public java.util.Optional<String> md5Hex() {
                return java.util.Optional.ofNullable(md5Hex);
            }
        };
    }

    private static String md5Of(PatternSource body) throws IOException {
        java.security.MessageDigest md5 = io.wcache.core.digest.Md5.newDigest();
        try (InputStream in = body.open(0, body.length())) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                md5.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(md5.digest());
    }

    /**
     * Over plain HTTP the SDK read every body twice, once for the SHA-256 it signs and once to send
     * it. With the MD5 known it is sent as Content-MD5, the payload unsigned: the body is read once
     * and the store, which checks it, keeps it byte-identical with that MD5 as ETag.
     */
    @Test
    void anUploadWhoseMd5IsKnownReadsItsBodyOnceAndIsStoredWithThatMd5() throws Exception {
        PatternSource body = new PatternSource(100_000, 7);
        AtomicInteger opens = new AtomicInteger();
        UfsObject put = ufs.put("known/k", withMd5(body, md5Of(body), opens), PutOptions.DEFAULT);
        assertThat(opens).hasValue(1);
        assertThat(put.etag()).isEqualTo(md5Of(body));
        try (InputStream stored = Files.newInputStream(storedFile("known/k"))) {
            assertThat(PatternSource.sha256(stored)).isEqualTo(body.sha256());
        }
        // Without a known MD5 the body is still signed (read for its SHA-256, then sent).
        AtomicInteger unknown = new AtomicInteger();
        ufs.put("known/unknown", withMd5(body, null, unknown), PutOptions.DEFAULT);
        assertThat(unknown).hasValue(2);
    }

    /** Bytes that are not the ones their MD5 was computed from are refused by the store and never land. */
    @Test
    void bytesThatDoNotMatchTheirKnownMd5AreCorruptionAndThePreviousObjectStays() throws Exception {
        ufs.put("known/keep", bytes("previous"), PutOptions.DEFAULT);
        PatternSource body = new PatternSource(100_000, 8);
        String otherMd5 = md5Of(new PatternSource(100_000, 9));
        assertThatThrownBy(() -> ufs.put("known/keep", withMd5(body, otherMd5, new AtomicInteger()), PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("BadDigest")
                .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo(ufs.uri() + "/known/keep"));
        assertThat(read(ufs.get("known/keep"))).isEqualTo("previous");
    }

    /**
     * What the store is sent, seen by a plain HTTP server: an upload with a known MD5 carries it as
     * Content-MD5 with an unsigned payload, one without is signed; bodies under 1 MiB are sent without
     * the 100-continue handshake (a round trip more than the body), larger ones keep it. Before, every
     * upload was signed and waited for 100 Continue.
     */
    @Test
    void smallUploadsSkipTheContinueHandshakeAndAKnownMd5IsSentInsteadOfASignedPayload() throws Exception {
        List<Map<String, String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", ex -> {
            Map<String, String> headers = new HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            seen.add(headers);
            java.security.MessageDigest md5 = io.wcache.core.digest.Md5.newDigest();
            md5.update(ex.getRequestBody().readAllBytes());
            ex.getResponseHeaders().add("ETag", "\"" + java.util.HexFormat.of().formatHex(md5.digest()) + "\"");
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        http.start();
        try {
            Map<String, String> options = new HashMap<>(server.ufsOptions());
            options.put("endpoint", "http://127.0.0.1:" + http.getAddress().getPort());
            try (UnderFileSystem plain = UnderFileSystem.open(URI.create("s3://" + BUCKET + "/x"), options)) {
                PatternSource small = new PatternSource(10 << 10, 1);
                PatternSource large = new PatternSource(2 << 20, 2);
                plain.put("small-known", withMd5(small, md5Of(small), new AtomicInteger()), PutOptions.DEFAULT);
                plain.put("small-unknown", withMd5(small, null, new AtomicInteger()), PutOptions.DEFAULT);
                plain.put("large-known", withMd5(large, md5Of(large), new AtomicInteger()), PutOptions.DEFAULT);
            }
        } finally {
            http.stop(0);
        }
        assertThat(seen).hasSize(3);
        Map<String, String> smallKnown = seen.get(0);
        assertThat(smallKnown).containsEntry("x-amz-content-sha256", "UNSIGNED-PAYLOAD").doesNotContainKey("expect");
        assertThat(java.util.Base64.getDecoder().decode(smallKnown.get("content-md5")))
                .isEqualTo(java.util.HexFormat.of().parseHex(md5Of(new PatternSource(10 << 10, 1))));
        assertThat(smallKnown.get("authorization")).contains("content-md5");
        Map<String, String> smallUnknown = seen.get(1);
        assertThat(smallUnknown.get("x-amz-content-sha256")).matches("[0-9a-f]{64}");
        assertThat(smallUnknown).doesNotContainKey("content-md5").doesNotContainKey("expect");
        assertThat(seen.get(2)).containsEntry("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .containsEntry("expect", "100-continue");
    }

    @Test
    void objectBelowThresholdIsASinglePutWithItsMd5AsEtag() throws Exception {
        UfsObject put = ufs.put("small", bytes("small body"), PutOptions.DEFAULT);
        assertThat(put.etag()).isEqualTo(md5("small body"));
        assertThat(Files.readString(storedFile("small"))).isEqualTo("small body");
    }

    @Test
    void twoHundredMebibyteObjectStreamsThroughASmallHeap() throws Exception {
        PatternSource source = new PatternSource(200L << 20, 11);
        UfsObject put = ufs.put("big/200m", source, PutOptions.DEFAULT);
        assertThat(put.size()).isEqualTo(200L << 20);
        assertThat(put.etag()).endsWith("-40");
        assertThat(Files.size(storedFile("big/200m"))).isEqualTo(200L << 20);
        String expected = source.sha256();
        try (InputStream stored = Files.newInputStream(storedFile("big/200m"))) {
            assertThat(PatternSource.sha256(stored)).isEqualTo(expected);
        }
        try (InputStream in = ufs.get("big/200m")) {
            assertThat(PatternSource.sha256(in)).isEqualTo(expected);
        }
        // Closing early aborts the response instead of draining 200 MiB (timing is left to benchmarks).
        try (InputStream in = ufs.get("big/200m")) {
            assertThat(in.readNBytes(10)).hasSize(10);
        }
        try (InputStream in = ufs.get("big/200m", (100L << 20) + 3, 1 << 20);
             InputStream want = source.open((100L << 20) + 3, 1 << 20)) {
            assertThat(PatternSource.sha256(in)).isEqualTo(PatternSource.sha256(want));
        }
    }

    @Test
    void failedPartAbortsTheMultipartUploadAndKeepsThePreviousObject() throws Exception {
        ufs.put("mp/keep", bytes("previous"), PutOptions.DEFAULT);
        PatternSource good = new PatternSource(12L << 20, 5);
        UploadSource failsOnThirdPart = new UploadSource() {
            @Override
            public long length() {
                return good.length();
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                if (offset >= 10L << 20) {
                    throw new IOException("local segment unreadable");
                }
                return good.open(offset, length);
            }
        };
        assertThatThrownBy(() -> ufs.put("mp/keep", failsOnThirdPart, PutOptions.DEFAULT))
                .isInstanceOf(WcacheException.Unavailable.class)
                .hasMessageContaining("local segment unreadable")
                .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo(ufs.uri() + "/mp/keep"));
        assertThat(read(ufs.get("mp/keep"))).isEqualTo("previous");
        try (S3Client raw = rawClient()) {
            // The server does list open uploads, so an empty listing means the failed one was aborted.
            String probe = raw.createMultipartUpload(b -> b.bucket(BUCKET).key(prefix + "/probe")).uploadId();
            assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
                    .extracting(u -> u.key()).containsExactly(prefix + "/probe");
            raw.abortMultipartUpload(b -> b.bucket(BUCKET).key(prefix + "/probe").uploadId(probe));
        }
    }

    @Test
    void missingBucketIsUnavailableNamingTheBucket() {
        try (UnderFileSystem other = UnderFileSystem.open(URI.create("s3://no-such-bucket/x"), server.ufsOptions())) {
            assertThatThrownBy(() -> other.put("k", bytes("v"), PutOptions.DEFAULT))
                    .isInstanceOf(WcacheException.Unavailable.class)
                    .hasMessageContaining("no-such-bucket");
        }
    }

    @Test
    void wrongCredentialsAreUnavailableNotNotFound() {
        Map<String, String> bad = new HashMap<>(server.ufsOptions());
        bad.put("secret.key", "wrong");
        try (UnderFileSystem other = UnderFileSystem.open(URI.create("s3://" + BUCKET + "/" + prefix), bad)) {
            assertThatThrownBy(() -> other.get("k"))
                    .isInstanceOf(WcacheException.Unavailable.class)
                    .hasMessageContaining("403");
        }
    }

    @Test
    void serverThatNeverAnswersTimesOutAsUnavailable() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException ignored) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> options = new HashMap<>(server.ufsOptions());
            options.put("endpoint", "http://127.0.0.1:" + silent.getLocalPort());
            options.put("socket.timeout", "1s");
            options.put("max.attempts", "2");
            try (UnderFileSystem hung = UnderFileSystem.open(URI.create("s3://" + BUCKET + "/x"), options)) {
                // A server that never answers ends in Unavailable through the socket timeout (a
                // missing timeout would hang this call instead).
                assertThatThrownBy(() -> hung.head("k"))
                        .isInstanceOf(WcacheException.Unavailable.class)
                        .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo("s3://ufs/x/k"));
            } finally {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    @Test
    void unknownOrMalformedOptionsAreRefusedAtOpen() {
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("s3://b/p"), Map.of("multipart.treshold", "1")))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("multipart.treshold");
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("s3://b/p"), Map.of("multipart.part.size", "1MiB")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("s3://b/p"), Map.of("access.key", "only")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("s3://b/a//b"), Map.of()))
                .isInstanceOf(WcacheException.InvalidPath.class);
        assertThatThrownBy(() -> UnderFileSystem.open(URI.create("s3:///p"), Map.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void optionsDefaultAsDocumented() {
        S3UfsConfig c = S3UfsConfig.parse(URI.create("s3://bucket/some/prefix/"), Map.of());
        assertThat(c.bucket()).isEqualTo("bucket");
        assertThat(c.prefix()).isEqualTo("some/prefix/");
        assertThat(c.rootUri()).isEqualTo(URI.create("s3://bucket/some/prefix"));
        assertThat(c.region()).isEqualTo("us-east-1");
        assertThat(c.pathStyle()).isFalse();
        assertThat(c.accessKey()).isEmpty();
        assertThat(c.multipartThreshold()).isEqualTo(64L << 20);
        assertThat(c.partSize()).isEqualTo(16L << 20);
        assertThat(c.parallelism()).isEqualTo(4);
        S3UfsConfig withEndpoint = S3UfsConfig.parse(URI.create("s3://bucket"), Map.of("endpoint", "http://127.0.0.1:9000"));
        assertThat(withEndpoint.pathStyle()).isTrue();
        assertThat(withEndpoint.prefix()).isEmpty();
        assertThat(withEndpoint.toString()).doesNotContain("secret");
    }

    @Test
    void optionsMayCarryTheUfsS3PrefixTheConfigurationFileUses() {
        S3UfsConfig c = S3UfsConfig.parse(URI.create("s3://bucket"),
                Map.of("ufs.s3.endpoint", "http://127.0.0.1:9000", "ufs.s3.region", "eu-west-1"));
        assertThat(c.endpoint()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(c.region()).isEqualTo("eu-west-1");
        assertThatThrownBy(() -> S3UfsConfig.parse(URI.create("s3://bucket"),
                Map.of("ufs.s3.region", "eu-west-1", "region", "us-east-1")))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("set twice");
        assertThatThrownBy(() -> S3UfsConfig.parse(URI.create("s3://bucket"), Map.of("ufs.s3.regoin", "x")))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("regoin");
    }

    private static S3Client rawClient() {
        return S3Client.builder()
                .endpointOverride(server.endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(EmbeddedS3Server.ACCESS_KEY, EmbeddedS3Server.SECRET_KEY)))
                .build();
    }
}
