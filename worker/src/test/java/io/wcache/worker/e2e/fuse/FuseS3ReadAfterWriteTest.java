package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.fuse.FuseMountOptions;
import io.wcache.worker.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Read-after-write between the FUSE mount and the S3 endpoint of one worker: a file closed through
 * FUSE is readable through S3 at once, an object put through S3 is readable through the mount at
 * once, and an overwrite or delete through S3 shows through the mount within the attribute cache
 * time ({@link FuseMountOptions#DEFAULT_CACHE_TIMEOUT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuseS3ReadAfterWriteTest {

    FuseS3Rig rig;
    Path mnt;
    Worker worker;
    String endpoint;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    void start() throws Exception {
        rig = FuseS3Rig.start("fuse-s3");
        mnt = rig.mnt;
        worker = rig.worker;
        endpoint = rig.endpoint;
    }

    @AfterAll
    void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    private HttpResponse<String> s3(String method, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + "/m/" + key)).timeout(Duration.ofSeconds(30));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void fileClosedThroughFuseIsReadableThroughS3AtOnce() throws Exception {
        for (int i = 0; i < 20; i++) {
            FuseShell.Result w = sh(mnt, "mkdir -p m/raw && printf 'fuse-" + i + "' > m/raw/f" + i);
            assertThat(w.exit()).as(w.toString()).isZero();
            HttpResponse<String> get = s3("GET", "raw/f" + i, null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("fuse-" + i);
        }
    }

    @Test
    void aFolderMarkerPutThroughS3IsADirectoryOfTheMountAndRmdirDeletesIt() throws Exception {
        assertThat(s3("PUT", "folders/empty/", "").statusCode()).isEqualTo(200);
        assertThat(s3("PUT", "folders/full/", "").statusCode()).isEqualTo(200);
        assertThat(s3("PUT", "folders/full/x", "x").statusCode()).isEqualTo(200);
        FuseShell.Result ls = sh(mnt, "test -d m/folders/empty && test -d m/folders/full && ls -A m/folders/empty"
                + " && ls m/folders && cat m/folders/full/x");
        assertThat(ls.exit()).as(ls.toString()).isZero();
        assertThat(ls.out()).isEqualTo("empty\nfull\nx");
        FuseShell.Result notEmpty = sh(mnt, "rmdir m/folders/full");
        assertThat(notEmpty.err()).contains("Directory not empty");
        FuseShell.Result rm = sh(mnt, "rmdir m/folders/empty && rm m/folders/full/x && rmdir m/folders/full");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        assertThat(s3("HEAD", "folders/empty/", null).statusCode()).isEqualTo(404);
        assertThat(s3("HEAD", "folders/full/", null).statusCode()).isEqualTo(404);
    }

    @Test
    void objectPutThroughS3IsReadableThroughFuseAtOnceAndChangesShowWithinTheCacheTimeout() throws Exception {
        assertThat(s3("PUT", "from-s3", "v1").statusCode()).isEqualTo(200);
        assertThat(sh(mnt, "cat m/from-s3").out()).isEqualTo("v1");
        assertThat(s3("PUT", "from-s3", "version-2").statusCode()).isEqualTo(200);
        Thread.sleep(FuseMountOptions.DEFAULT_CACHE_TIMEOUT.toMillis() + 300);
        assertThat(sh(mnt, "cat m/from-s3").out()).isEqualTo("version-2");
        assertThat(s3("DELETE", "from-s3", null).statusCode()).isEqualTo(204);
        Thread.sleep(FuseMountOptions.DEFAULT_CACHE_TIMEOUT.toMillis() + 300);
        assertThat(sh(mnt, "cat m/from-s3").err()).contains("No such file or directory");
    }
}
