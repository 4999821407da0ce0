package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.GetObjectAttributesResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Flexible checksums through the real AWS SDK for Java v2, which validates a GET's body against
 * the checksum returned in checksum mode: stored on PUT, returned on GET/HEAD with
 * {@code x-amz-checksum-mode: ENABLED} (never on a range, a part's own on a {@code partNumber}
 * read), multipart uploads created with a checksum algorithm (composite SHA-256, full-object
 * CRC32C combined from the parts' CRCs), GetObjectAttributes, CopyObject, S3's refusals, and all
 * of it kept across a restart. Before checksums were stored, GET/HEAD returned none and
 * CreateMultipartUpload ignored its algorithm.
 *
 * <p>SHA-256 values are given to the SDK precomputed (it sends them as a header): the SDK of this
 * build, left to compute one itself, puts the SHA-256 of an empty body in the signed aws-chunked
 * trailer, which wcache refuses with {@code BadDigest} as S3 does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkChecksumEndToEndTest {
    static final int FIVE_MIB = 5 * 1024 * 1024;

    @TempDir
    static Path root;
    S3Rig rig;
    S3Client s3;

    @BeforeAll
    void start() {
        rig = new S3Rig(root.resolve("main"), "cache.capacity=512MiB");
        s3 = rig.client();
    }

    @AfterAll
    void stop() {
        s3.close();
        rig.close();
    }

    static byte[] sha256(byte[]... pieces) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (byte[] p : pieces) {
            md.update(p);
        }
        return md.digest();
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static String crc32c(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return b64(ByteBuffer.allocate(4).putInt((int) c.getValue()).array());
    }

    static String checksumType(software.amazon.awssdk.core.SdkResponse r) {
        return r.sdkHttpResponse().firstMatchingHeader("x-amz-checksum-type").orElse(null);
    }

    static String errorCode(Throwable e) {
        return ((S3Exception) e).awsErrorDetails().errorCode();
    }

    @Test
    void aPutChecksumIsReturnedByGetAndHeadInChecksumModeOnly() throws Exception {
        byte[] data = SdkS3EndToEndTest.bytes(300_000, 1);
        String digest = b64(sha256(data));
        String sent = s3.putObject(b -> b.bucket(BUCKET).key("single/sha256")
                .checksumSHA256(digest), RequestBody.fromBytes(data)).checksumSHA256();
        assertThat(sent).isEqualTo(b64(sha256(data)));

        HeadObjectResponse plain = s3.headObject(b -> b.bucket(BUCKET).key("single/sha256"));
        assertThat(plain.checksumSHA256()).isNull();
        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key("single/sha256")
                .checksumMode(ChecksumMode.ENABLED));
        assertThat(head.checksumSHA256()).isEqualTo(sent);
        assertThat(checksumType(head)).isEqualTo("FULL_OBJECT");

        // The SDK checks the body against the returned checksum.
        ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("single/sha256")
                .checksumMode(ChecksumMode.ENABLED));
        assertThat(got.asByteArray()).isEqualTo(data);
        assertThat(got.response().checksumSHA256()).isEqualTo(sent);

        // A range is not the object: S3 returns no whole-object checksum for it.
        GetObjectResponse range = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("single/sha256").range("bytes=0-9")
                .checksumMode(ChecksumMode.ENABLED)).response();
        assertThat(range.checksumSHA256()).isNull();

        String crc = s3.putObject(b -> b.bucket(BUCKET).key("single/crc32c").checksumAlgorithm(ChecksumAlgorithm.CRC32_C),
                RequestBody.fromBytes(data)).checksumCRC32C();
        assertThat(crc).isEqualTo(crc32c(data));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("single/crc32c").checksumMode(ChecksumMode.ENABLED))
                .response().checksumCRC32C()).isEqualTo(crc);
    }

    @Test
    void anObjectWithoutAChecksumReturnsNone() {
        s3.putObject(b -> b.bucket(BUCKET).key("single/none"), RequestBody.fromString("plain"));
        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key("single/none").checksumMode(ChecksumMode.ENABLED));
        assertThat(head.checksumCRC32()).isNull();
        assertThat(head.checksumCRC32C()).isNull();
        assertThat(head.checksumSHA1()).isNull();
        assertThat(head.checksumSHA256()).isNull();
        assertThat(checksumType(head)).isNull();
    }

    @Test
    void aCompositeMultipartChecksumIsComputedReturnedAndServedPerPart() throws Exception {
        String key = "multi/composite";
        byte[] p1 = SdkS3EndToEndTest.bytes(FIVE_MIB, 11);
        byte[] p2 = SdkS3EndToEndTest.bytes(1_000_003, 12);
        CreateMultipartUploadResponse created = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)
                .checksumAlgorithm(ChecksumAlgorithm.SHA256));
        assertThat(created.checksumAlgorithm()).isEqualTo(ChecksumAlgorithm.SHA256);
        assertThat(checksumType(created)).isEqualTo("COMPOSITE");
        String id = created.uploadId();
        String d1 = b64(sha256(p1));
        String d2 = b64(sha256(p2));
        UploadPartResponse r1 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1)
                .checksumSHA256(d1), RequestBody.fromBytes(p1));
        UploadPartResponse r2 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(2)
                .checksumSHA256(d2), RequestBody.fromBytes(p2));
        assertThat(r1.checksumSHA256()).isEqualTo(b64(sha256(p1)));
        assertThat(r2.checksumSHA256()).isEqualTo(b64(sha256(p2)));

        ListPartsResponse parts = s3.listParts(b -> b.bucket(BUCKET).key(key).uploadId(id));
        assertThat(parts.checksumAlgorithm()).isEqualTo(ChecksumAlgorithm.SHA256);
        assertThat(parts.parts()).extracting(p -> p.checksumSHA256()).containsExactly(r1.checksumSHA256(),
                r2.checksumSHA256());

        // A part checksum that differs from the one the part was uploaded with is InvalidPart.
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(r1.eTag()).checksumSHA256(r2.checksumSHA256()).build(),
                        CompletedPart.builder().partNumber(2).eTag(r2.eTag()).checksumSHA256(r2.checksumSHA256()).build()))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPart"));
        // A whole-object checksum sent with the completion must be the one computed.
        String wrong = b64(sha256(p1)) + "-2";
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .checksumSHA256(wrong)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(r1.eTag()).checksumSHA256(r1.checksumSHA256()).build(),
                        CompletedPart.builder().partNumber(2).eTag(r2.eTag()).checksumSHA256(r2.checksumSHA256()).build()))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("BadDigest"));

        String composite = b64(sha256(sha256(p1), sha256(p2))) + "-2";
        CompleteMultipartUploadResponse done = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .checksumSHA256(composite)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(r1.eTag()).checksumSHA256(r1.checksumSHA256()).build(),
                        CompletedPart.builder().partNumber(2).eTag(r2.eTag()).checksumSHA256(r2.checksumSHA256()).build())));
        assertThat(done.checksumSHA256()).isEqualTo(composite);

        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key(key).checksumMode(ChecksumMode.ENABLED));
        assertThat(head.checksumSHA256()).isEqualTo(composite);
        assertThat(checksumType(head)).isEqualTo("COMPOSITE");
        // A composite value is not the body's checksum: the SDK does not check it, and the body is whole.
        ResponseBytes<GetObjectResponse> whole = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)
                .checksumMode(ChecksumMode.ENABLED));
        assertThat(whole.response().checksumSHA256()).isEqualTo(composite);
        assertThat(sha256(whole.asByteArray())).isEqualTo(sha256(p1, p2));
        // partNumber serves the part's own checksum, which the SDK checks against the part's bytes.
        ResponseBytes<GetObjectResponse> second = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).partNumber(2)
                .checksumMode(ChecksumMode.ENABLED));
        assertThat(second.response().checksumSHA256()).isEqualTo(r2.checksumSHA256());
        assertThat(second.asByteArray()).isEqualTo(p2);

        GetObjectAttributesResponse attrs = s3.getObjectAttributes(b -> b.bucket(BUCKET).key(key)
                .objectAttributes(ObjectAttributes.CHECKSUM, ObjectAttributes.OBJECT_PARTS));
        assertThat(attrs.checksum().checksumSHA256()).isEqualTo(composite);
        // The element is PartsCount (the SDK's totalPartsCount); it was TotalPartsCount, which SDKs do not read.
        assertThat(attrs.objectParts().totalPartsCount()).isEqualTo(2);
        assertThat(attrs.objectParts().parts()).extracting(p -> p.checksumSHA256())
                .containsExactly(r1.checksumSHA256(), r2.checksumSHA256());

        // A retried completion answers with the same checksum.
        CompleteMultipartUploadResponse again = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(r1.eTag()).build(),
                        CompletedPart.builder().partNumber(2).eTag(r2.eTag()).build())));
        assertThat(again.checksumSHA256()).isEqualTo(composite);
        assertThat(again.eTag()).isEqualTo(done.eTag());
    }

    @Test
    void aFullObjectCrcOfAMultipartUploadIsTheCrcOfTheWholeObject() {
        String key = "multi/full-crc32c";
        byte[] p1 = SdkS3EndToEndTest.bytes(FIVE_MIB + 3, 21);
        byte[] p2 = SdkS3EndToEndTest.bytes(FIVE_MIB, 22);
        byte[] p3 = SdkS3EndToEndTest.bytes(77_777, 23);
        // The SDK of this build has no ChecksumType member yet: the header is added as S3 defines it.
        CreateMultipartUploadResponse created = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)
                .overrideConfiguration(o -> o.putHeader("x-amz-checksum-type", "FULL_OBJECT")));
        assertThat(checksumType(created)).isEqualTo("FULL_OBJECT");
        String id = created.uploadId();
        List<byte[]> bodies = List.of(p1, p2, p3);
        CompletedPart[] done = new CompletedPart[3];
        for (int i = 0; i < 3; i++) {
            int n = i + 1;
            UploadPartResponse r = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(n)
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromBytes(bodies.get(n - 1)));
            assertThat(r.checksumCRC32C()).isEqualTo(crc32c(bodies.get(n - 1)));
            done[i] = CompletedPart.builder().partNumber(n).eTag(r.eTag()).checksumCRC32C(r.checksumCRC32C()).build();
        }
        byte[] all = new byte[p1.length + p2.length + p3.length];
        System.arraycopy(p1, 0, all, 0, p1.length);
        System.arraycopy(p2, 0, all, p1.length, p2.length);
        System.arraycopy(p3, 0, all, p1.length + p2.length, p3.length);
        CompleteMultipartUploadResponse completed = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key)
                .uploadId(id).multipartUpload(m -> m.parts(done)));
        assertThat(completed.checksumCRC32C()).isEqualTo(crc32c(all));
        assertThat(checksumType(completed)).isNull(); // it is in the XML body, not a header

        // Not a composite value: the SDK checks the whole body against it.
        ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)
                .checksumMode(ChecksumMode.ENABLED));
        assertThat(got.response().checksumCRC32C()).isEqualTo(crc32c(all));
        assertThat(checksumType(got.response())).isEqualTo("FULL_OBJECT");
        assertThat(got.asByteArray()).isEqualTo(all);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).partNumber(3).checksumMode(ChecksumMode.ENABLED))
                .response().checksumCRC32C()).isEqualTo(crc32c(p3));
    }

    @Test
    void aPartCopiedIntoAnUploadWithAnAlgorithmGetsItsChecksum() throws Exception {
        byte[] src = SdkS3EndToEndTest.bytes(FIVE_MIB + 100, 51);
        byte[] tail = SdkS3EndToEndTest.bytes(1000, 52);
        s3.putObject(b -> b.bucket(BUCKET).key("copypart/src"), RequestBody.fromBytes(src));
        String key = "copypart/dst";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key).checksumAlgorithm(ChecksumAlgorithm.CRC32_C))
                .uploadId();
        var copied = s3.uploadPartCopy(b -> b.sourceBucket(BUCKET).sourceKey("copypart/src").destinationBucket(BUCKET)
                .destinationKey(key).uploadId(id).partNumber(1));
        assertThat(copied.copyPartResult().checksumCRC32C()).isEqualTo(crc32c(src));
        UploadPartResponse second = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(2)
                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromBytes(tail));
        CompleteMultipartUploadResponse done = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(copied.copyPartResult().eTag()).build(),
                        CompletedPart.builder().partNumber(2).eTag(second.eTag()).build())));
        CRC32C ofCrcs = new CRC32C();
        ofCrcs.update(Base64.getDecoder().decode(crc32c(src)));
        ofCrcs.update(Base64.getDecoder().decode(crc32c(tail)));
        assertThat(done.checksumCRC32C()).isEqualTo(b64(ByteBuffer.allocate(4).putInt((int) ofCrcs.getValue()).array())
                + "-2");
    }

    @Test
    void createMultipartUploadRefusesAChecksumTypeTheAlgorithmCannotHave() {
        assertThatThrownBy(() -> s3.createMultipartUpload(b -> b.bucket(BUCKET).key("multi/refused")
                .checksumAlgorithm(ChecksumAlgorithm.SHA1)
                .overrideConfiguration(o -> o.putHeader("x-amz-checksum-type", "FULL_OBJECT"))))
                .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidRequest"))
                .hasMessageContaining("The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.");
        assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("multi/refused")).uploads()).isEmpty();
    }

    @Test
    void aCopyKeepsTheSourceChecksumOrComputesTheOneAskedFor() throws Exception {
        byte[] data = SdkS3EndToEndTest.bytes(200_000, 31);
        String digest = b64(sha256(data));
        String sha = s3.putObject(b -> b.bucket(BUCKET).key("copy/src")
                .checksumSHA256(digest), RequestBody.fromBytes(data)).checksumSHA256();
        var kept = s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("copy/src").destinationBucket(BUCKET)
                .destinationKey("copy/kept"));
        assertThat(kept.copyObjectResult().checksumSHA256()).isEqualTo(sha);
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("copy/kept").checksumMode(ChecksumMode.ENABLED))
                .checksumSHA256()).isEqualTo(sha);

        var asked = s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("copy/src").destinationBucket(BUCKET)
                .destinationKey("copy/crc32c").checksumAlgorithm(ChecksumAlgorithm.CRC32_C));
        assertThat(asked.copyObjectResult().checksumCRC32C()).isEqualTo(crc32c(data));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("copy/crc32c").checksumMode(ChecksumMode.ENABLED))
                .response().checksumCRC32C()).isEqualTo(crc32c(data));
    }

    @Test
    void checksumsSurviveARestart() throws Exception {
        Path dir = root.resolve("restart");
        byte[] data = SdkS3EndToEndTest.bytes(100_000, 41);
        byte[] p1 = SdkS3EndToEndTest.bytes(FIVE_MIB, 42);
        byte[] p2 = SdkS3EndToEndTest.bytes(10, 43);
        String composite = b64(sha256(sha256(p1), sha256(p2))) + "-2";
        String d = b64(sha256(data));
        String d1 = b64(sha256(p1));
        String d2 = b64(sha256(p2));
        try (S3Rig first = new S3Rig(dir); S3Client c = first.client()) {
            c.putObject(b -> b.bucket(BUCKET).key("kept/single")
                    .checksumSHA256(d), RequestBody.fromBytes(data));
            String id = c.createMultipartUpload(b -> b.bucket(BUCKET).key("kept/multi")
                    .checksumAlgorithm(ChecksumAlgorithm.SHA256)).uploadId();
            String e1 = c.uploadPart(b -> b.bucket(BUCKET).key("kept/multi").uploadId(id).partNumber(1)
                    .checksumSHA256(d1), RequestBody.fromBytes(p1)).eTag();
            // An upload in progress keeps its algorithm and its parts' checksums too.
            String pending = c.createMultipartUpload(b -> b.bucket(BUCKET).key("kept/pending")
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)).uploadId();
            c.uploadPart(b -> b.bucket(BUCKET).key("kept/pending").uploadId(pending).partNumber(1)
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromBytes(data));
            String e2 = c.uploadPart(b -> b.bucket(BUCKET).key("kept/multi").uploadId(id).partNumber(2)
                    .checksumSHA256(d2), RequestBody.fromBytes(p2)).eTag();
            assertThat(c.completeMultipartUpload(b -> b.bucket(BUCKET).key("kept/multi").uploadId(id)
                    .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(e1).build(),
                            CompletedPart.builder().partNumber(2).eTag(e2).build()))).checksumSHA256())
                    .isEqualTo(composite);
        }
        try (S3Rig second = new S3Rig(dir); S3Client c = second.client()) {
            assertThat(c.getObjectAsBytes(b -> b.bucket(BUCKET).key("kept/single").checksumMode(ChecksumMode.ENABLED))
                    .response().checksumSHA256()).isEqualTo(d);
            assertThat(c.headObject(b -> b.bucket(BUCKET).key("kept/multi").checksumMode(ChecksumMode.ENABLED))
                    .checksumSHA256()).isEqualTo(composite);
            assertThat(c.getObjectAsBytes(b -> b.bucket(BUCKET).key("kept/multi").partNumber(1)
                    .checksumMode(ChecksumMode.ENABLED)).response().checksumSHA256()).isEqualTo(d1);
            String pending = c.listMultipartUploads(b -> b.bucket(BUCKET).prefix("kept/pending")).uploads().get(0)
                    .uploadId();
            ListPartsResponse parts = c.listParts(b -> b.bucket(BUCKET).key("kept/pending").uploadId(pending));
            assertThat(parts.checksumAlgorithm()).isEqualTo(ChecksumAlgorithm.CRC32_C);
            assertThat(parts.parts().get(0).checksumCRC32C()).isEqualTo(crc32c(data));
        }
    }
}
