package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Multipart uploads through the real AWS SDK: a 200 MiB object from parallel parts, listing, copy parts, and S3's refusals. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkMultipartEndToEndTest {

    static final int PART = 8 * 1024 * 1024;

    @TempDir
    static Path root;
    S3Rig rig;
    S3Client s3;

    @BeforeAll
    void start() {
        rig = new S3Rig(root, "cache.capacity=2GiB");
        s3 = rig.client();
    }

    @AfterAll
    void stop() {
        s3.close();
        rig.close();
    }

    static byte[] part(int n, int size) {
        byte[] b = new byte[size];
        new Random(n * 7919L).nextBytes(b);
        return b;
    }

    static String errorCode(Throwable e) {
        return ((S3Exception) e).awsErrorDetails().errorCode();
    }

    @Test
    void twoHundredMebibytesFromParallelPartsRoundTrip() throws Exception {
        int parts = 25;
        String key = "big/200mib.bin";
        String uploadId = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key).contentType("application/x-big"))
                .uploadId();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<CompletedPart>> futures = new ArrayList<>();
        for (int i = 1; i <= parts; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                String etag = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(uploadId).partNumber(n),
                        RequestBody.fromBytes(part(n, PART))).eTag();
                return CompletedPart.builder().partNumber(n).eTag(etag).build();
            }));
        }
        List<CompletedPart> done = new ArrayList<>();
        MessageDigest etags = MessageDigest.getInstance("MD5");
        MessageDigest whole = MessageDigest.getInstance("MD5");
        for (int i = 0; i < parts; i++) {
            CompletedPart cp = futures.get(i).get();
            done.add(cp);
            byte[] partMd5 = MessageDigest.getInstance("MD5").digest(part(i + 1, PART));
            assertThat(cp.eTag()).isEqualTo("\"" + HexFormat.of().formatHex(partMd5) + "\"");
            etags.update(partMd5);
            whole.update(part(i + 1, PART));
        }
        pool.shutdown();

        assertThat(s3.listParts(b -> b.bucket(BUCKET).key(key).uploadId(uploadId)).parts()).hasSize(parts);
        assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("big/")).uploads())
                .extracting(u -> u.uploadId()).contains(uploadId);
        // Not visible before completion.
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key))).isInstanceOf(NoSuchKeyException.class);

        var completed = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(done)));
        String expected = "\"" + HexFormat.of().formatHex(etags.digest()) + "-" + parts + "\"";
        assertThat(completed.eTag()).isEqualTo(expected);

        var head = s3.headObject(b -> b.bucket(BUCKET).key(key));
        assertThat(head.contentLength()).isEqualTo((long) parts * PART);
        assertThat(head.eTag()).isEqualTo(expected);
        assertThat(head.contentType()).isEqualTo("application/x-big");
        MessageDigest got = MessageDigest.getInstance("MD5");
        try (InputStream in = s3.getObject(b -> b.bucket(BUCKET).key(key))) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                got.update(buf, 0, n);
            }
        }
        assertThat(got.digest()).isEqualTo(whole.digest());
        assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("big/")).uploads()).isEmpty();
    }

    @Test
    void partNumberReadsServeOnePartOfACompletedUploadWithThePartsCount() {
        String key = "parts/three";
        byte[] p1 = part(101, 5 * 1024 * 1024);
        byte[] p2 = part(102, 5 * 1024 * 1024 + 3);
        byte[] p3 = part(103, 1234);
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        List<CompletedPart> done = new ArrayList<>();
        byte[][] bodies = {p1, p2, p3};
        for (int i = 0; i < bodies.length; i++) {
            int n = i + 1;
            byte[] body = bodies[i];
            String etag = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(n), RequestBody.fromBytes(body))
                    .eTag();
            done.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        }
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(done)));

        var second = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).partNumber(2));
        assertThat(second.asByteArray()).isEqualTo(p2);
        assertThat(second.response().partsCount()).isEqualTo(3);
        assertThat(second.response().contentRange())
                .isEqualTo("bytes " + p1.length + "-" + (p1.length + p2.length - 1) + "/" + (p1.length + p2.length + p3.length));
        var head = s3.headObject(b -> b.bucket(BUCKET).key(key).partNumber(3));
        assertThat(head.partsCount()).isEqualTo(3);
        assertThat(head.contentLength()).isEqualTo(p3.length);
        assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).partNumber(4)))
                .isInstanceOf(S3Exception.class).satisfies(e -> {
                    // As S3 answers (ceph/s3-tests test_multipart_get_part): 400 InvalidPart.
                    assertThat(((S3Exception) e).statusCode()).isEqualTo(400);
                    assertThat(errorCode(e)).isEqualTo("InvalidPart");
                });
    }

    @Test
    void partsOutOfOrderMissingOrTooSmallAreRefusedAndNothingIsVisible() {
        String key = "bad/mp";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        String e1 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromBytes(part(1, 1024))).eTag();
        String e2 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(2),
                RequestBody.fromBytes(part(2, 1024))).eTag();
        CompletedPart p1 = CompletedPart.builder().partNumber(1).eTag(e1).build();
        CompletedPart p2 = CompletedPart.builder().partNumber(2).eTag(e2).build();
        CompletedPart p3 = CompletedPart.builder().partNumber(3).eTag(e2).build();

        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(p2, p1))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPartOrder"));
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(p1, p3))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPart"));
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(p1, p2))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("EntityTooSmall"));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key))).isInstanceOf(NoSuchKeyException.class);

        // A single small part is a valid upload.
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(p1)));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).isEqualTo(part(1, 1024));
    }

    @Test
    void abortedUploadIsGoneAndUnknownUploadIsNoSuchUpload() {
        String key = "abort/mp";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(part(9, 4096)));
        s3.abortMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id));
        assertThatThrownBy(() -> s3.listParts(b -> b.bucket(BUCKET).key(key).uploadId(id)))
                .isInstanceOf(NoSuchUploadException.class);
        assertThatThrownBy(() -> s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId("nope").partNumber(1),
                RequestBody.fromBytes(new byte[10]))).isInstanceOf(NoSuchUploadException.class);
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key))).isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void uploadPartCopyTakesARangeOfAnotherObject() throws Exception {
        byte[] src = part(42, 6 * 1024 * 1024);
        s3.putObject(b -> b.bucket(BUCKET).key("copysrc/obj"), RequestBody.fromBytes(src));
        String key = "copydst/mp";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        var c1 = s3.uploadPartCopy(b -> b.sourceBucket(BUCKET).sourceKey("copysrc/obj").destinationBucket(BUCKET)
                .destinationKey(key).uploadId(id).partNumber(1));
        var c2 = s3.uploadPartCopy(b -> b.sourceBucket(BUCKET).sourceKey("copysrc/obj").destinationBucket(BUCKET)
                .destinationKey(key).uploadId(id).partNumber(2).copySourceRange("bytes=0-99"));
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(c1.copyPartResult().eTag()).build(),
                CompletedPart.builder().partNumber(2).eTag(c2.copyPartResult().eTag()).build())));
        byte[] got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
        assertThat(got).hasSize(src.length + 100);
        assertThat(java.util.Arrays.copyOfRange(got, 0, src.length)).isEqualTo(src);
        assertThat(java.util.Arrays.copyOfRange(got, src.length, got.length))
                .isEqualTo(java.util.Arrays.copyOfRange(src, 0, 100));
    }
}
