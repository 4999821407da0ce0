package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.worker.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * With {@code s3.create.bucket.ufs} set, CreateBucket makes a mount on the template (a local
 * directory here), usable at once and kept across requests; DeleteBucket refuses a bucket that
 * holds objects and a mount from the config file, and removes an empty created one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkBucketProvisioningEndToEndTest {

    @TempDir
    static Path root;
    S3Rig rig;
    S3Client s3;
    Path buckets;

    @BeforeAll
    void start() {
        buckets = root.resolve("buckets");
        rig = new S3Rig(root.resolve("worker"), "s3.create.bucket.ufs=file:" + buckets.toAbsolutePath() + "/{bucket}");
        s3 = rig.client();
    }

    @AfterAll
    void stop() {
        s3.close();
        rig.close();
    }

    static String code(Throwable e) {
        return ((S3Exception) e).awsErrorDetails().errorCode();
    }

    @Test
    void createBucketMakesAMountThatHoldsObjectsAndDeleteBucketRemovesItWhenEmpty() throws Exception {
        s3.createBucket(b -> b.bucket("made-by-s3"));
        assertThat(Files.isDirectory(buckets.resolve("made-by-s3"))).as("the UFS directory of the new mount").isTrue();
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).contains("made-by-s3");
        s3.headBucket(b -> b.bucket("made-by-s3"));
        s3.createBucket(b -> b.bucket("made-by-s3"));

        s3.putObject(b -> b.bucket("made-by-s3").key("dir/obj.txt"), RequestBody.fromString("hello bucket"));
        assertThat(s3.getObjectAsBytes(b -> b.bucket("made-by-s3").key("dir/obj.txt")).asUtf8String())
                .isEqualTo("hello bucket");
        assertThatThrownBy(() -> s3.deleteBucket(b -> b.bucket("made-by-s3")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("BucketNotEmpty"));

        TestWorkers.drain(rig.worker);
        assertThat(buckets.resolve("made-by-s3/dir/obj.txt")).isRegularFile();
        s3.deleteObject(b -> b.bucket("made-by-s3").key("dir/obj.txt"));
        // The object's UFS delete has not run yet (no persister in this rig): the bucket is deleted at once
        // all the same (it answered 409 OperationAborted before, which no client retries).
        s3.deleteBucket(b -> b.bucket("made-by-s3"));
        assertThatThrownBy(() -> s3.headBucket(b -> b.bucket("made-by-s3")))
                .isInstanceOf(S3Exception.class).extracting(e -> ((S3Exception) e).statusCode()).isEqualTo(404);
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket("made-by-s3").key("k"), RequestBody.fromString("x")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("NoSuchBucket"));
        assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("made-by-s3")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("NoSuchBucket"));
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).doesNotContain("made-by-s3");
        // ... and the queued UFS delete still finishes, through the removed mount's client: nothing is stranded
        assertThat(TestWorkers.drain(rig.worker)).isPositive();
        assertThat(buckets.resolve("made-by-s3/dir/obj.txt")).doesNotExist();
        assertThat(rig.worker.catalog().files().tombstones("/made-by-s3/", "", 10)).isEmpty();
    }

    @Test
    void aMountFromTheConfigFileIsNotDeleted() {
        assertThatThrownBy(() -> s3.deleteBucket(b -> b.bucket("m")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("AccessDenied"))
                .hasMessageContaining("config");
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).contains("m");
    }
}
