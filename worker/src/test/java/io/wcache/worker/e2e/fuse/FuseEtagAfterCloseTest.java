package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.worker.admin.AdminApi;
import io.wcache.worker.admin.AdminViews.FileView;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A file written through the FUSE mount, once larger than a log record, commits without its MD5
 * (the close does not wait for it):
 * the worker computes it after the close, and an S3 request that comes first gets the MD5 ETag
 * all the same, on HEAD, GET, listings and {@code If-Match} writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuseEtagAfterCloseTest {

    FuseS3Rig rig;

    @BeforeAll
    void start() throws Exception {
        rig = FuseS3Rig.start("fuse-etag");
        assertThat(sh(rig.mnt, "mkdir -p m/etag").exit()).isZero();
    }

    /** A test that turned the computation after the commit off leaves it on for the next. */
    @AfterEach
    void computeEtagsAfterCommitAgain() {
        rig.worker.cacheService().computeEtagsAfterCommit(true);
    }

    @AfterAll
    void stop() {
        if (rig != null) {
            rig.close();
        }
    }


    /** Writes {@code size} random bytes to the mount's {@code m/etag/<name>} and returns their MD5. */
    private String writeThroughMount(String name, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.write(rig.mnt.resolve("m/etag/" + name), data);
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    private String catalogEtag(String name) {
        return rig.worker.catalog().files().lookup(NamespacePath.of("/m/etag/" + name)).map(FileVersion::etag).orElseThrow();
    }

    @Test
    void aFileClosedThroughTheMountHasNoMd5YetAndS3AnswersItsMd5OnHeadGetAndListings() throws Exception {
        rig.worker.cacheService().computeEtagsAfterCommit(false);
        // 3.5 MiB: several log records, whose MD5 the write no longer takes on its way in.
        String headMd5 = writeThroughMount("head", (7 << 19) + 11, 1);
        String getMd5 = writeThroughMount("get", 5 << 20, 2);
        String listMd5 = writeThroughMount("listed", (3 << 19) + 5, 3);
        assertThat(catalogEtag("head")).isEmpty();
        assertThat(catalogEtag("get")).isEmpty();
        assertThat(catalogEtag("listed")).isEmpty();

        HttpResponse<String> head = rig.s3("HEAD", "etag/head", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("ETag")).hasValue("\"" + headMd5 + "\"");
        assertThat(catalogEtag("head")).as("recorded for the next asker").isEqualTo(headMd5);

        HttpResponse<String> get = rig.s3("GET", "etag/get", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("ETag")).hasValue("\"" + getMd5 + "\"");
        assertThat(catalogEtag("get")).isEqualTo(getMd5);

        HttpResponse<String> list = rig.s3("GET", "?list-type=2&prefix=etag/", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("<Key>etag/listed</Key>")
                .contains("<ETag>&quot;" + listMd5 + "&quot;</ETag>")
                .contains("<ETag>&quot;" + headMd5 + "&quot;</ETag>")
                .contains("<ETag>&quot;" + getMd5 + "&quot;</ETag>")
                .doesNotContain("<ETag>&quot;&quot;</ETag>").doesNotContain("<ETag></ETag>");
        assertThat(catalogEtag("listed")).isEqualTo(listMd5);
    }

    @Test
    void aWriteConditionalOnTheEtagOfAFileWrittenThroughTheMountIsAdmitted() throws Exception {
        rig.worker.cacheService().computeEtagsAfterCommit(false);
        String md5 = writeThroughMount("conditional", 2 << 20, 4);
        assertThat(catalogEtag("conditional")).isEmpty();
        assertThat(rig.s3("PUT", "etag/conditional", "replaced", "If-Match", "\"0123456789abcdef0123456789abcdef\"")
                .statusCode()).isEqualTo(412);
        assertThat(rig.s3("PUT", "etag/conditional", "replaced", "If-Match", "\"" + md5 + "\"").statusCode())
                .isEqualTo(200);
        assertThat(rig.s3("GET", "etag/conditional", null).body()).isEqualTo("replaced");
    }

    @Test
    void aFileSmallerThanALogRecordCommitsWithItsMd5AsBefore() throws Exception {
        rig.worker.cacheService().computeEtagsAfterCommit(false);
        String md5 = writeThroughMount("small", 200_000, 6);
        assertThat(catalogEtag("small")).as("hashed at the commit: nothing left to compute").isEqualTo(md5);
    }

    @Test
    void theWorkerComputesTheEtagAfterTheCloseWithoutBeingAsked() throws Exception {
        String md5 = writeThroughMount("background", 3 << 20, 5);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (catalogEtag("background").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(catalogEtag("background")).isEqualTo(md5);
    }

    @Test
    void theAdminListingShowsTheEtagPendingAndStatAnswersTheMd5() throws Exception {
        rig.worker.cacheService().computeEtagsAfterCommit(false);
        String md5 = writeThroughMount("admin", (5 << 19) + 3, 7);
        AdminApi admin = new AdminApi(rig.worker, Clock.systemUTC());

        FileView listed = admin.list("/m/etag", false).entries().stream()
                .filter(e -> e.path().equals("/m/etag/admin")).findFirst().orElseThrow();
        assertThat(listed.etagPending()).as("a listing does not hash").isTrue();
        assertThat(listed.etag()).isEmpty();

        FileView stat = admin.stat("/m/etag/admin");
        assertThat(stat.etag()).as("stat answers the MD5, as HEAD does").isEqualTo(md5);
        assertThat(stat.etagPending()).isFalse();
        assertThat(catalogEtag("admin")).isEqualTo(md5);
        FileView again = admin.list("/m/etag", false).entries().stream()
                .filter(e -> e.path().equals("/m/etag/admin")).findFirst().orElseThrow();
        assertThat(again.etagPending()).isFalse();
        assertThat(again.etag()).isEqualTo(md5);
    }
}
