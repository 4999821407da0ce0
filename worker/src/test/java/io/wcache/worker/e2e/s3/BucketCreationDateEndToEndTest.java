package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * ListBuckets reports each bucket's creation date, kept across restarts: a bucket made by
 * CreateBucket has the time it was made, a mount from the configuration the time it was first
 * seen. Both were the worker's start time before, so every restart changed them.
 */
class BucketCreationDateEndToEndTest {

    @TempDir
    Path root;

    private static Map<String, Instant> dates(S3Client s3) {
        return s3.listBuckets().buckets().stream().collect(Collectors.toMap(Bucket::name, Bucket::creationDate));
    }

    @Test
    void creationDatesAreKeptAcrossARestart() {
        String template = "s3.create.bucket.ufs=file:" + root.resolve("buckets").toAbsolutePath() + "/{bucket}";
        Map<String, Instant> first;
        Instant beforeCreate;
        try (S3Rig rig = new S3Rig(root.resolve("worker"), template); S3Client s3 = rig.client()) {
            beforeCreate = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            s3.createBucket(b -> b.bucket("made-later"));
            first = dates(s3);
            assertThat(first).containsOnlyKeys(S3Rig.BUCKET, "made-later");
            assertThat(first.get("made-later")).isAfterOrEqualTo(beforeCreate)
                    .isAfterOrEqualTo(first.get(S3Rig.BUCKET));
            assertThat(dates(s3)).as("asked again").isEqualTo(first);
        }
        try (S3Rig rig = new S3Rig(root.resolve("worker"), template); S3Client s3 = rig.client()) {
            assertThat(dates(s3)).as("after a restart").isEqualTo(first);
        }
    }
}
