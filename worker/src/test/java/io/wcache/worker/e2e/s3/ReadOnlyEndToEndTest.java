package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** A {@code READ_ONLY} path through the S3 API: writes, deletes and uploads are {@code AccessDenied}; reads work. */
class ReadOnlyEndToEndTest {

    @TempDir
    Path root;

    static String code(Throwable e) {
        return ((S3Exception) e).awsErrorDetails().errorCode();
    }

    @Test
    void readOnlyPathRefusesWritesAndDeletesWithAccessDenied() {
        try (S3Rig rig = new S3Rig(root, "path.default.policy=READ_ONLY"); S3Client s3 = rig.client()) {
            assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("ro/x"), RequestBody.fromString("x")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo("AccessDenied"))
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
            assertThatThrownBy(() -> s3.deleteObject(b -> b.bucket(BUCKET).key("ro/x")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo("AccessDenied"));
            assertThatThrownBy(() -> s3.createMultipartUpload(b -> b.bucket(BUCKET).key("ro/mp")))
                    .satisfies(e -> assertThat(code(e)).isEqualTo("AccessDenied"));
            // The connection stays usable after a refused upload, and reads still answer.
            assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("ro/x")))
                    .isInstanceOf(NoSuchKeyException.class);
            assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET)).contents()).isEmpty();
        }
    }
}
