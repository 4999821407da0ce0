package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.fuse.FuseMountOptions;
import java.net.http.HttpResponse;
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

    @BeforeAll
    void start() throws Exception {
        rig = FuseS3Rig.start("fuse-s3");
    }

    @AfterAll
    void stop() {
        if (rig != null) {
            rig.close();
        }
    }


    @Test
    void fileClosedThroughFuseIsReadableThroughS3AtOnce() throws Exception {
        for (int i = 0; i < 20; i++) {
            FuseShell.Result w = sh(rig.mnt, "mkdir -p m/raw && printf 'fuse-" + i + "' > m/raw/f" + i);
            assertThat(w.exit()).as(w.toString()).isZero();
            HttpResponse<String> get = rig.s3("GET", "raw/f" + i, null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("fuse-" + i);
        }
    }

    @Test
    void aFolderMarkerPutThroughS3IsADirectoryOfTheMountAndRmdirDeletesIt() throws Exception {
        assertThat(rig.s3("PUT", "folders/empty/", "").statusCode()).isEqualTo(200);
        assertThat(rig.s3("PUT", "folders/full/", "").statusCode()).isEqualTo(200);
        assertThat(rig.s3("PUT", "folders/full/x", "x").statusCode()).isEqualTo(200);
        FuseShell.Result ls = sh(rig.mnt, "test -d m/folders/empty && test -d m/folders/full && ls -A m/folders/empty"
                + " && ls m/folders && cat m/folders/full/x");
        assertThat(ls.exit()).as(ls.toString()).isZero();
        assertThat(ls.out()).isEqualTo("empty\nfull\nx");
        FuseShell.Result notEmpty = sh(rig.mnt, "rmdir m/folders/full");
        assertThat(notEmpty.err()).contains("Directory not empty");
        FuseShell.Result rm = sh(rig.mnt, "rmdir m/folders/empty && rm m/folders/full/x && rmdir m/folders/full");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        assertThat(rig.s3("HEAD", "folders/empty/", null).statusCode()).isEqualTo(404);
        assertThat(rig.s3("HEAD", "folders/full/", null).statusCode()).isEqualTo(404);
    }

    @Test
    void objectPutThroughS3IsReadableThroughFuseAtOnceAndChangesShowWithinTheCacheTimeout() throws Exception {
        assertThat(rig.s3("PUT", "from-s3", "v1").statusCode()).isEqualTo(200);
        assertThat(sh(rig.mnt, "cat m/from-s3").out()).isEqualTo("v1");
        assertThat(rig.s3("PUT", "from-s3", "version-2").statusCode()).isEqualTo(200);
        Thread.sleep(FuseMountOptions.DEFAULT_CACHE_TIMEOUT.toMillis() + 300);
        assertThat(sh(rig.mnt, "cat m/from-s3").out()).isEqualTo("version-2");
        assertThat(rig.s3("DELETE", "from-s3", null).statusCode()).isEqualTo(204);
        Thread.sleep(FuseMountOptions.DEFAULT_CACHE_TIMEOUT.toMillis() + 300);
        assertThat(sh(rig.mnt, "cat m/from-s3").err()).contains("No such file or directory");
    }
}
