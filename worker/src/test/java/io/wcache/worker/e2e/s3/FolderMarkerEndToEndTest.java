package io.wcache.worker.e2e.s3;

import static io.wcache.worker.e2e.s3.S3Rig.BUCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.persister.ufs.LocalUnderFileSystem;
import io.wcache.worker.TestWorkers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Folder markers ({@code dir/} keys, how the AWS console, s3fs and SDK users make folders) through
 * the AWS SDK v2 against a real worker on a local-directory UFS: stored, listed as S3 lists them,
 * readable, deletable, persisted; keys the namespace cannot hold are a clear 400, and a listing
 * prefix of any form is an empty listing, not an error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FolderMarkerEndToEndTest {

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

    private void put(String key, String body) {
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(body));
    }

    private static List<String> keys(ListObjectsV2Response r) {
        return r.contents().stream().map(S3Object::key).toList();
    }

    private static List<String> prefixes(ListObjectsV2Response r) {
        return r.commonPrefixes().stream().map(CommonPrefix::prefix).toList();
    }

    @Test
    void markersAreStoredListedReadDeletedAndPersistedBesideObjectsUnderThem() throws Exception {
        put("fm/dir/", "");
        put("fm/dir/x", "x");
        put("fm/dir/sub/", "");
        put("fm/body/", "a marker may hold bytes");

        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("fm/dir/")).contentLength()).isZero();
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("fm/body/")).asUtf8String())
                .isEqualTo("a marker may hold bytes");
        assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("fm/dir/x")).asUtf8String()).isEqualTo("x");

        ListObjectsV2Response top = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("fm/").delimiter("/"));
        assertThat(keys(top)).isEmpty();
        assertThat(prefixes(top)).containsExactly("fm/body/", "fm/dir/");
        ListObjectsV2Response all = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("fm/"));
        assertThat(keys(all)).containsExactly("fm/body/", "fm/dir/", "fm/dir/sub/", "fm/dir/x");
        ListObjectsV2Response inside = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("fm/dir/").delimiter("/"));
        assertThat(keys(inside)).containsExactly("fm/dir/", "fm/dir/x");
        assertThat(prefixes(inside)).containsExactly("fm/dir/sub/");

        // persisted to the local UFS as the directory's marker file, listed from there the same way
        TestWorkers.drain(rig.worker);
        Path ufs = TestWorkers.ufsDir(root);
        assertThat(ufs.resolve("fm/dir/" + LocalUnderFileSystem.FOLDER_MARKER_FILE)).isRegularFile();
        assertThat(Files.readString(ufs.resolve("fm/body/" + LocalUnderFileSystem.FOLDER_MARKER_FILE),
                StandardCharsets.UTF_8)).isEqualTo("a marker may hold bytes");
        LocalUnderFileSystem local = new LocalUnderFileSystem(ufs);
        assertThat(local.list("fm/", "", null, 100).objects().stream().map(o -> o.key()).toList())
                .containsExactly("fm/body/", "fm/dir/", "fm/dir/sub/", "fm/dir/x");

        s3.deleteObject(b -> b.bucket(BUCKET).key("fm/dir/"));
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("fm/dir/")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
        assertThat(keys(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("fm/dir/"))))
                .containsExactly("fm/dir/sub/", "fm/dir/x");
        TestWorkers.drain(rig.worker);
        assertThat(ufs.resolve("fm/dir/" + LocalUnderFileSystem.FOLDER_MARKER_FILE)).doesNotExist();
        assertThat(ufs.resolve("fm/dir/x")).isRegularFile();
    }

    @Test
    void aMissingMarkerAnswersAsS3() {
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("nothing/here/")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
        assertThatThrownBy(() -> s3.getObject(b -> b.bucket(BUCKET).key("nothing/here/")))
                .isInstanceOf(NoSuchKeyException.class);
        assertThat(s3.deleteObject(b -> b.bucket(BUCKET).key("nothing/here/")).sdkHttpResponse().statusCode())
                .isEqualTo(204);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "//", "/a", "a//", "a//b", "./", "a/../", "nothing/"})
    void anyListingPrefixIsAcceptedAndListsNothingItCannotHold(String prefix) {
        put("lp/kept", "k");
        ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix).delimiter("/"));
        assertThat(keys(r)).isEmpty();
        assertThat(prefixes(r)).isEmpty();
        assertThat(s3.listObjects(b -> b.bucket(BUCKET).prefix(prefix)).contents()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a//b", "a/./b", "a/../b", "x/.", "x/..", "x//"})
    void keysTheNamespaceCannotHoldAreAClear400(String key) {
        assertThatThrownBy(() -> put(key, "v")).isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidArgument");
            assertThat(e.awsErrorDetails().errorMessage()).contains("cannot be stored").contains("'..' segment");
        });
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key)))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        // the listing of the bucket still works
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET)).sdkHttpResponse().isSuccessful()).isTrue();
    }
}
