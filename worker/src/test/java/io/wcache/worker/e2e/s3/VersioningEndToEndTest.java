package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.worker.TestWorkers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * S3 bucket versioning through the AWS SDK v2 against a real worker on a local-directory UFS:
 * versioning status, a version id per write, older versions kept and readable by id (also as a
 * copy source), ListObjectVersions, delete markers, deleting versions by id, and old versions
 * still readable once their cached bytes were evicted and after a restart.
 */
class VersioningEndToEndTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path root;

    private static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) seed);
        for (int i = 0; i < b.length; i += 4096) {
            b[i] = (byte) (seed * 31 + i / 4096);
        }
        return b;
    }

    private static String put(S3Client s3, String key, byte[] body) {
        String vid = s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(body)).versionId();
        assertThat(vid).as("a version id for every write to a versioned bucket").isNotBlank();
        return vid;
    }

    private static byte[] get(S3Client s3, String key, String versionId) {
        ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key).versionId(versionId));
        if (versionId != null) {
            assertThat(r.response().versionId()).isEqualTo(versionId);
        }
        return r.asByteArray();
    }

    private static void enable(S3Client s3) {
        s3.putBucketVersioning(b -> b.bucket(BUCKET).versioningConfiguration(c -> c.status(BucketVersioningStatus.ENABLED)));
        assertThat(s3.getBucketVersioning(b -> b.bucket(BUCKET)).status()).isEqualTo(BucketVersioningStatus.ENABLED);
    }

    private static List<ObjectVersion> versions(S3Client s3, String key) {
        return s3.listObjectVersions(b -> b.bucket(BUCKET).prefix(key)).versions().stream()
                .filter(v -> v.key().equals(key)).toList();
    }

    @Test
    void versionsAreKeptListedReadableByIdAndDeletable() {
        try (S3Rig rig = new S3Rig(root); S3Client s3 = rig.client()) {
            assertThat(s3.getBucketVersioning(b -> b.bucket(BUCKET)).status()).isNull();
            enable(s3);
            byte[] one = body(1000, 1);
            byte[] two = body(2000, 2);
            byte[] three = body(3000, 3);
            String v1 = put(s3, "k", one);
            String v2 = put(s3, "k", two);
            String v3 = put(s3, "k", three);
            assertThat(List.of(v1, v2, v3)).doesNotHaveDuplicates();

            assertThat(get(s3, "k", null)).isEqualTo(three);
            assertThat(s3.headObject(b -> b.bucket(BUCKET).key("k")).versionId()).isEqualTo(v3);
            assertThat(get(s3, "k", v1)).isEqualTo(one);
            assertThat(s3.headObject(b -> b.bucket(BUCKET).key("k").versionId(v2)).contentLength()).isEqualTo(2000);

            ListObjectVersionsResponse listed = s3.listObjectVersions(b -> b.bucket(BUCKET));
            assertThat(listed.versions()).extracting(ObjectVersion::versionId).containsExactly(v3, v2, v1);
            assertThat(listed.versions()).extracting(ObjectVersion::isLatest).containsExactly(true, false, false);
            assertThat(listed.versions()).extracting(ObjectVersion::size).containsExactly(3000L, 2000L, 1000L);
            // Archived versions are never objects of a listing.
            assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET)).contents()).extracting(o -> o.key()).containsExactly("k");
            assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).delimiter("/")).commonPrefixes()).isEmpty();
            assertThatThrownBy(() -> s3.getObject(b -> b.bucket(BUCKET).key(ObjectVersions.RESERVED_SEGMENT + "/k@" + v1)))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
            // Nor may FUSE (the cache service it calls) write or delete there.
            NamespacePath reserved = ObjectVersions.archivePath(NamespacePath.of("/m/k"), v1);
            assertThatThrownBy(() -> rig.worker.cacheService().create(reserved,
                    io.wcache.core.cache.WriteOptions.defaults()).join())
                    .hasRootCauseInstanceOf(io.wcache.core.error.WcacheException.InvalidPath.class);
            assertThatThrownBy(() -> rig.worker.cacheService().delete(reserved).join())
                    .hasRootCauseInstanceOf(io.wcache.core.error.WcacheException.InvalidPath.class);
            assertThat(get(s3, "k", v1)).isEqualTo(one);

            // A version is a copy source.
            s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("k").sourceVersionId(v1).destinationBucket(BUCKET)
                    .destinationKey("copy"));
            assertThat(get(s3, "copy", null)).isEqualTo(one);

            // A delete adds a delete marker; the versions stay.
            DeleteObjectResponse marker = s3.deleteObject(b -> b.bucket(BUCKET).key("k"));
            assertThat(marker.deleteMarker()).isTrue();
            assertThat(marker.versionId()).isNotBlank();
            assertThatThrownBy(() -> get(s3, "k", null)).isInstanceOf(NoSuchKeyException.class);
            assertThat(get(s3, "k", v2)).isEqualTo(two);
            ListObjectVersionsResponse afterDelete = s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("k"));
            assertThat(afterDelete.deleteMarkers()).singleElement().satisfies(m -> {
                assertThat(m.versionId()).isEqualTo(marker.versionId());
                assertThat(m.isLatest()).isTrue();
            });
            assertThat(afterDelete.versions()).extracting(ObjectVersion::isLatest).containsOnly(false);

            // Deleting the marker brings the newest version back; deleting the current version by id, the one before.
            s3.deleteObject(b -> b.bucket(BUCKET).key("k").versionId(marker.versionId()));
            assertThat(get(s3, "k", null)).isEqualTo(three);
            s3.deleteObject(b -> b.bucket(BUCKET).key("k").versionId(v3));
            assertThat(get(s3, "k", null)).isEqualTo(two);
            assertThat(versions(s3, "k")).extracting(ObjectVersion::versionId).containsExactly(v2, v1);
            s3.deleteObject(b -> b.bucket(BUCKET).key("k").versionId(v1));
            assertThatThrownBy(() -> get(s3, "k", v1)).isInstanceOfSatisfying(S3Exception.class,
                    e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchVersion"));
            assertThat(versions(s3, "k")).extracting(ObjectVersion::versionId).containsExactly(v2);

            // The object store ends with the current version at the key and nothing left of the deleted ones.
            TestWorkers.drain(rig.worker);
            assertThat(TestWorkers.ufsDir(root).resolve("k")).hasBinaryContent(two);
        }
    }

    @Test
    void anOldVersionIsReadableByIdAfterEvictionAndAfterARestart() throws Exception {
        String v1;
        String v2;
        byte[] one = body(3 * MIB, 11);
        byte[] two = body(3 * MIB, 12);
        try (S3Rig rig = new S3Rig(root, "cache.capacity=32MiB"); S3Client s3 = rig.client()) {
            enable(s3);
            v1 = put(s3, "a/k", one);
            // v1 reaches the object store at its key, then v2 supersedes it there: v1 must be copied to
            // its archive key before v2 replaces the object.
            TestWorkers.drain(rig.worker);
            v2 = put(s3, "a/k", two);
            TestWorkers.drain(rig.worker);
            Path ufs = TestWorkers.ufsDir(root);
            assertThat(ufs.resolve("a/k")).hasBinaryContent(two);
            assertThat(ufs.resolve(ObjectVersions.RESERVED_SEGMENT + "/a/k@" + v1)).hasBinaryContent(one);

            // Persisted bytes are evictable: fill the cache until v1's are gone.
            NamespacePath archived = ObjectVersions.archivePath(NamespacePath.of("/m/a/k"), v1);
            FileVersion v = rig.worker.catalog().files().lookup(archived).orElseThrow();
            for (int i = 0; i < 12 && !rig.worker.catalog().files().extents(v.fileId()).isEmpty(); i++) {
                for (int j = 0; j < 4; j++) {
                    s3.putObject(b -> b.bucket(BUCKET).key("fill/" + System.nanoTime()), RequestBody.fromBytes(body(2 * MIB, 5)));
                }
                TestWorkers.drain(rig.worker);
                rig.worker.logStore().reclaimNow();
            }
            assertThat(rig.worker.catalog().files().extents(v.fileId())).as("v1's cached bytes were evicted").isEmpty();
            assertThat(get(s3, "a/k", v1)).isEqualTo(one);
            assertThat(get(s3, "a/k", v2)).isEqualTo(two);
        }
        try (S3Rig rig = new S3Rig(root, "cache.capacity=32MiB"); S3Client s3 = rig.client()) {
            assertThat(s3.getBucketVersioning(b -> b.bucket(BUCKET)).status()).isEqualTo(BucketVersioningStatus.ENABLED);
            assertThat(get(s3, "a/k", v1)).isEqualTo(one);
            assertThat(get(s3, "a/k", null)).isEqualTo(two);
            assertThat(versions(s3, "a/k")).extracting(ObjectVersion::versionId).containsExactly(v2, v1);
            assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("a/")).contents()).extracting(o -> o.key())
                    .containsExactly("a/k");
        }
        assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("a/k"))).isTrue();
    }

    @Test
    void aVersionNotYetPersistedIsArchivedFromTheCacheAndSurvivesARestart() {
        byte[] one = body(MIB, 21);
        byte[] two = body(MIB, 22);
        String v1;
        try (S3Rig rig = new S3Rig(root); S3Client s3 = rig.client()) {
            enable(s3);
            v1 = put(s3, "n", one);
            put(s3, "n", two);
        }
        try (S3Rig rig = new S3Rig(root); S3Client s3 = rig.client()) {
            assertThat(get(s3, "n", v1)).isEqualTo(one);
            TestWorkers.drain(rig.worker);
            assertThat(TestWorkers.ufsDir(root).resolve(ObjectVersions.RESERVED_SEGMENT + "/n@" + v1)).hasBinaryContent(one);
            assertThat(TestWorkers.ufsDir(root).resolve("n")).hasBinaryContent(two);
        }
    }
}
