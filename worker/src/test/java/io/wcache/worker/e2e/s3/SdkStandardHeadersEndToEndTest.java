package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.worker.TestWorkers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;

/**
 * Cache-Control, Content-Disposition, Content-Encoding, Content-Language and Expires are stored with
 * an object as S3 stores them: returned by HEAD and GET (GET's {@code response-*} parameters win),
 * kept by multipart uploads and CopyObject (COPY keeps, REPLACE replaces), set on the UFS object
 * the persister uploads, and read back from a UFS object the cache does not hold. Bucket {@code s}
 * is a mount on s3proxy, read directly with a second client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkStandardHeadersEndToEndTest {

    static final String UFS_BUCKET = "ufs";
    static final String BUCKET = "s";
    static final Instant EXPIRES = Instant.parse("2094-12-01T16:00:00Z");
    static final String EXPIRES_TEXT = "Wed, 01 Dec 2094 16:00:00 GMT";

    @TempDir
    static Path root;
    EmbeddedS3Server proxy;
    S3Rig rig;
    S3Client s3;
    S3Client ufs;

    @BeforeAll
    void start() throws Exception {
        proxy = EmbeddedS3Server.start(root.resolve("s3proxy"));
        proxy.createBucket(UFS_BUCKET);
        Path wroot = root.resolve("worker");
        rig = new S3Rig(wroot, "mounts=[{path: /m, ufs: '" + TestWorkers.ufsDir(wroot).toAbsolutePath().toUri() + "'}, "
                + proxy.mountEntry("/" + BUCKET, UFS_BUCKET + "/pre") + "]");
        s3 = rig.client();
        ufs = proxy.client(50);
    }

    @AfterAll
    void stop() throws Exception {
        s3.close();
        ufs.close();
        rig.close();
        proxy.close();
    }

    static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    static void assertAllFive(HeadObjectResponse h) {
        assertThat(h.cacheControl()).isEqualTo("max-age=3600, public");
        assertThat(h.contentDisposition()).isEqualTo("attachment; filename=\"report.txt\"");
        assertThat(h.contentEncoding()).isEqualTo("gzip");
        assertThat(h.contentLanguage()).isEqualTo("de-CH");
        assertThat(h.expiresString()).isEqualTo(EXPIRES_TEXT);
    }

    private int drain() {
        return TestWorkers.drain(rig.worker);
    }

    @Test
    void headAndGetReturnTheStoredHeadersAndResponseParametersOverrideThem() throws Exception {
        byte[] body = gzip("hello standard headers");
        s3.putObject(b -> b.bucket(BUCKET).key("h/all").contentType("text/plain").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromBytes(body));

        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key("h/all"));
        assertAllFive(head);
        assertThat(head.contentType()).isEqualTo("text/plain");

        var get = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("h/all"));
        assertThat(get.asByteArray()).isEqualTo(body);
        assertThat(get.response().cacheControl()).isEqualTo("max-age=3600, public");
        assertThat(get.response().contentDisposition()).isEqualTo("attachment; filename=\"report.txt\"");
        assertThat(get.response().contentEncoding()).isEqualTo("gzip");
        assertThat(get.response().contentLanguage()).isEqualTo("de-CH");
        assertThat(get.response().expiresString()).isEqualTo(EXPIRES_TEXT);

        var overridden = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("h/all").responseCacheControl("no-store")
                .responseContentDisposition("inline").responseContentType("application/gzip"));
        assertThat(overridden.response().cacheControl()).isEqualTo("no-store");
        assertThat(overridden.response().contentDisposition()).isEqualTo("inline");
        assertThat(overridden.response().contentType()).isEqualTo("application/gzip");
        assertThat(overridden.response().contentLanguage()).as("not overridden: stored").isEqualTo("de-CH");

        // An object written without them has none; a new version does not inherit the old one's.
        s3.putObject(b -> b.bucket(BUCKET).key("h/all"), RequestBody.fromString("plain"));
        HeadObjectResponse plain = s3.headObject(b -> b.bucket(BUCKET).key("h/all"));
        assertThat(plain.cacheControl()).isNull();
        assertThat(plain.contentDisposition()).isNull();
        assertThat(plain.contentEncoding()).isNull();
        assertThat(plain.contentLanguage()).isNull();
        assertThat(plain.expiresString()).isNull();
    }

    @Test
    void anExpiresThatIsNotADateIsReturnedAsSent() {
        s3.putObject(b -> b.bucket(BUCKET).key("h/odd-expires").overrideConfiguration(o -> o.putHeader("Expires", "0")),
                RequestBody.fromString("x"));
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("h/odd-expires")).expiresString()).isEqualTo("0");
        // S3-compatible stores refuse such a value, so the upload leaves it out rather than fail for ever.
        drain();
        assertThat(rig.worker.catalog().files().lookup(NamespacePath.of("/s/h/odd-expires")).orElseThrow()
                .persistState()).isEqualTo(io.wcache.schema.catalog.PersistState.PERSISTED);
        HeadObjectResponse stored = ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/h/odd-expires"));
        assertThat(stored.expiresString()).isNull();
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("h/odd-expires")).expiresString()).isEqualTo("0");
    }

    @Test
    void writeBackUploadSetsTheHeadersOnTheUfsObject() throws Exception {
        byte[] body = gzip("persisted with headers");
        s3.putObject(b -> b.bucket(BUCKET).key("h/persisted").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromBytes(body));
        assertThat(drain()).isPositive();

        HeadObjectResponse stored = ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/h/persisted"));
        assertAllFive(stored);
        assertThat(ufs.getObjectAsBytes(b -> b.bucket(UFS_BUCKET).key("pre/h/persisted")).asByteArray()).isEqualTo(body);
    }

    @Test
    void anObjectOnlyInTheUfsIsServedWithItsHeaders() {
        ufs.putObject(b -> b.bucket(UFS_BUCKET).key("pre/h/ufs-only").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromString("from the store"));

        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key("h/ufs-only")));
        var get = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("h/ufs-only"));
        assertThat(get.asUtf8String()).isEqualTo("from the store");
        assertThat(get.response().cacheControl()).isEqualTo("max-age=3600, public");
        assertThat(get.response().contentLanguage()).isEqualTo("de-CH");
        // Served again from the cache (read-through copied it), still with its headers.
        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key("h/ufs-only")));
    }

    @Test
    void multipartUploadKeepsTheHeadersGivenAtCreation() {
        String key = "h/multipart";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key).cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES)).uploadId();
        byte[] p1 = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(p1);
        byte[] p2 = "tail".getBytes(StandardCharsets.UTF_8);
        List<CompletedPart> done = new ArrayList<>();
        done.add(CompletedPart.builder().partNumber(1).eTag(s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .partNumber(1), RequestBody.fromBytes(p1)).eTag()).build());
        done.add(CompletedPart.builder().partNumber(2).eTag(s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .partNumber(2), RequestBody.fromBytes(p2)).eTag()).build());
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(done)));

        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key(key)));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).response().contentDisposition())
                .isEqualTo("attachment; filename=\"report.txt\"");
        assertThat(drain()).isPositive();
        assertAllFive(ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/" + key)));
    }

    @Test
    void writeThroughAndNoCachePutsCarryTheHeadersToTheUfsBeforeTheyAnswer() {
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/s/wt"), WritePolicy.WRITE_THROUGH, 1));
        rig.worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/s/nc"), WritePolicy.NO_CACHE, 1));
        rig.worker.cacheService().refreshPathConfig();

        String key = "wt/multipart";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key).cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES)).uploadId();
        String etag = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromString("only part")).eTag();
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertAllFive(ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/" + key)));
        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key(key)));

        s3.putObject(b -> b.bucket(BUCKET).key("wt/put").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromString("through to the store"));
        assertAllFive(ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/wt/put")));
        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key("wt/put")));

        s3.putObject(b -> b.bucket(BUCKET).key("nc/put").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromString("straight to the store"));
        assertAllFive(ufs.headObject(b -> b.bucket(UFS_BUCKET).key("pre/nc/put")));
        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key("nc/put")));
    }

    @Test
    void copyObjectKeepsTheSourceHeadersUnlessTheyAreReplaced() {
        s3.putObject(b -> b.bucket(BUCKET).key("h/copy-src").cacheControl("max-age=3600, public")
                .contentDisposition("attachment; filename=\"report.txt\"").contentEncoding("gzip")
                .contentLanguage("de-CH").expires(EXPIRES), RequestBody.fromString("copy me"));

        s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("h/copy-src").destinationBucket(BUCKET)
                .destinationKey("h/copy-kept"));
        assertAllFive(s3.headObject(b -> b.bucket(BUCKET).key("h/copy-kept")));

        s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("h/copy-src").destinationBucket(BUCKET)
                .destinationKey("h/copy-replaced").metadataDirective(MetadataDirective.REPLACE).cacheControl("no-cache")
                .contentLanguage("en"));
        HeadObjectResponse replaced = s3.headObject(b -> b.bucket(BUCKET).key("h/copy-replaced"));
        assertThat(replaced.cacheControl()).isEqualTo("no-cache");
        assertThat(replaced.contentLanguage()).isEqualTo("en");
        assertThat(replaced.contentDisposition()).isNull();
        assertThat(replaced.contentEncoding()).isNull();
        assertThat(replaced.expiresString()).isNull();
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("h/copy-replaced")).asUtf8String()).isEqualTo("copy me");
    }
}
