package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What SDK retries meet, through the real AWS SDK: a CompleteMultipartUpload sent again after it
 * succeeded answers 200 with the same ETag (S3 does; an SDK retries completion after a timeout),
 * and a part re-sent while its first copy is still in flight ends with the copy that finished
 * last, whose bytes the completed object holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkMultipartRetryEndToEndTest {

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

    @Test
    void aRetriedCompletionAnswersOkWithTheSameEtag() throws Exception {
        String key = "retry/complete.bin";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        byte[] one = SdkS3EndToEndTest.bytes(5 * 1024 * 1024, 1);
        byte[] two = SdkS3EndToEndTest.bytes(1234, 2);
        String e1 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(one)).eTag();
        String e2 = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(2), RequestBody.fromBytes(two)).eTag();
        List<CompletedPart> parts = List.of(CompletedPart.builder().partNumber(1).eTag(e1).build(),
                CompletedPart.builder().partNumber(2).eTag(e2).build());
        String first = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(parts))).eTag();
        String again = s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(parts))).eTag();
        assertThat(again).isEqualTo(first);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).hasSize(one.length + two.length);
        // A different part list is not a retry of this completion: the upload is no longer in progress.
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(parts.get(0)))))
                .isInstanceOfSatisfying(S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchUpload"));
        assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("retry/")).uploads()).isEmpty();
    }

    @Test
    void aPartResentWhileItsFirstCopyIsInFlightEndsWithTheCopyThatFinishedLast() throws Exception {
        String key = "retry/part.bin";
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        byte[] slow = SdkS3EndToEndTest.bytes(1024 * 1024, 10);
        byte[] fast = SdkS3EndToEndTest.bytes(1024 * 1024, 11);
        CountDownLatch halfSent = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The first copy sends half its body, then waits until the second copy has been acknowledged.
        InputStream held = new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= slow.length) {
                    return -1;
                }
                if (pos >= slow.length / 2) {
                    halfSent.countDown();
                    try {
                        if (!release.await(60, TimeUnit.SECONDS)) {
                            throw new IOException("never released");
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                int n = Math.min(len, (pos < slow.length / 2 ? slow.length / 2 : slow.length) - pos);
                System.arraycopy(slow, pos, b, off, n);
                pos += n;
                return n;
            }
        };
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> s3.uploadPart(
                b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromInputStream(held, slow.length)).eTag());
        assertThat(halfSent.await(60, TimeUnit.SECONDS)).isTrue();
        String fastEtag = s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1),
                RequestBody.fromBytes(fast)).eTag();
        assertThat(fastEtag).isEqualTo("\"" + SdkS3EndToEndTest.md5Hex(fast) + "\"");
        release.countDown();
        String slowEtag = first.get(60, TimeUnit.SECONDS);
        assertThat(slowEtag).isEqualTo("\"" + SdkS3EndToEndTest.md5Hex(slow) + "\"");

        var listed = s3.listParts(b -> b.bucket(BUCKET).key(key).uploadId(id)).parts();
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).eTag()).as("the copy that finished last").isEqualTo(slowEtag);
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(fastEtag).build()))))
                .isInstanceOfSatisfying(S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidPart"));
        // Naming part 1 twice (both copies, as ceph/s3-tests' test_multipart_resend_first_finishes_last
        // does): the last entry counts (docs/DECISIONS.md), so naming the replaced copy last is refused
        assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(slowEtag).build(),
                        CompletedPart.builder().partNumber(1).eTag(fastEtag).build()))))
                .isInstanceOfSatisfying(S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidPart"));
        // and naming the stored copy last completes the upload with it.
        s3.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(fastEtag).build(),
                        CompletedPart.builder().partNumber(1).eTag(slowEtag).build())));
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).isEqualTo(slow);
        // The replaced copy's pinned space went back: only the completed object is pinned.
        assertThat(rig.worker.logStore().stats().pinnedBytes()).isEqualTo(slow.length);
    }
}
