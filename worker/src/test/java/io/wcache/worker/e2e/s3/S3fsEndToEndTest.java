package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wcache.worker.TestWorkers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Debian's s3fs-fuse mounting a bucket of a real worker and used as a file system: {@code mkdir},
 * {@code cp -r} of a tree, {@code ls -R}, {@code cmp}, {@code rm -r}, {@code rmdir}. s3fs makes a
 * directory as a folder marker ({@code dir/}), so this is the folder-marker workflow of a real
 * client. Installed by {@code ./wcache test}; skipped (with the reason) only where s3fs or
 * {@code /dev/fuse} is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3fsEndToEndTest {

    @TempDir
    static Path root;
    @TempDir
    static Path work;
    S3Rig rig;
    S3Client s3;
    Path mnt;

    record Result(int exit, String out) {
    }

    static Result sh(Path cwd, String script, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile(cwd, "sh", ".txt");
        Process p = new ProcessBuilder("timeout", "-k", "5", String.valueOf(timeoutSeconds), "bash", "-c", script)
                .directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeoutSeconds + 10L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.delete(out);
        return new Result(p.exitValue(), text);
    }

    @BeforeAll
    void mount() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/s3fs")), "s3fs is not installed (apt-get install s3fs)");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: FUSE is not available here");
        rig = new S3Rig(root);
        s3 = rig.client();
        mnt = Files.createDirectories(work.resolve("mnt"));
        Path passwd = work.resolve("passwd-s3fs");
        Files.writeString(passwd, S3Rig.ACCESS + ":" + S3Rig.SECRET + "\n");
        Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rw-------"));
        Result r = sh(work, "/usr/bin/s3fs " + S3Rig.BUCKET + " " + mnt + " -o passwd_file=" + passwd
                + " -o url=" + rig.endpoint + " -o use_path_request_style -o endpoint=us-east-1"
                + " -o stat_cache_expire=1 -o retries=1 -o connect_timeout=10 -o readwrite_timeout=30"
                + " && for i in $(seq 1 100); do mountpoint -q " + mnt + " && exit 0; sleep 0.1; done; exit 1", 60);
        assertThat(r.exit()).as("s3fs mount: %s", r.out()).isZero();
    }

    @AfterAll
    void unmount() throws Exception {
        if (mnt != null) {
            sh(work, "fusermount -u " + mnt + " 2>/dev/null || fusermount -u -z " + mnt + " 2>/dev/null; true", 30);
        }
        if (s3 != null) {
            s3.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void mkdirCopyTreeListCompareRemoveThroughS3fs() throws Exception {
        Path tree = work.resolve("tree");
        Files.createDirectories(tree.resolve("sub/deeper"));
        Files.writeString(work.resolve("tree/a.txt"), "alpha\n");
        Files.write(work.resolve("tree/sub/b.bin"), new java.util.Random(3).ints(300_000).collect(
                java.io.ByteArrayOutputStream::new, (o, i) -> o.write(i), (x, y) -> { }).toByteArray());
        Files.writeString(work.resolve("tree/sub/deeper/c.txt"), "gamma\n");
        Files.createDirectories(work.resolve("tree/empty"));
        String m = mnt.toString();

        Result mk = sh(work, "set -e; mkdir " + m + "/made; test -d " + m + "/made; mkdir -p " + m + "/made/nested", 60);
        assertThat(mk.exit()).as("mkdir: %s", mk.out()).isZero();
        // s3fs made each directory as a folder marker, and S3 lists it as one
        assertThat(s3.listObjectsV2(b -> b.bucket(S3Rig.BUCKET).prefix("made/")).contents().stream().map(S3Object::key))
                .contains("made/", "made/nested/");

        Result cp = sh(work, "set -e; cp -r " + tree + " " + m + "/made/tree; ls -R " + m + "/made", 120);
        assertThat(cp.exit()).as("cp -r / ls -R: %s", cp.out()).isZero();
        assertThat(cp.out()).contains("a.txt").contains("b.bin").contains("c.txt").contains("deeper").contains("empty");

        Result cmp = sh(work, "set -e; cmp " + tree + "/a.txt " + m + "/made/tree/a.txt; cmp " + tree + "/sub/b.bin "
                + m + "/made/tree/sub/b.bin; cmp " + tree + "/sub/deeper/c.txt " + m + "/made/tree/sub/deeper/c.txt;"
                + " diff -r " + tree + " " + m + "/made/tree", 120);
        assertThat(cmp.exit()).as("cmp: %s", cmp.out()).isZero();
        assertThat(s3.getObjectAsBytes(b -> b.bucket(S3Rig.BUCKET).key("made/tree/sub/deeper/c.txt")).asUtf8String())
                .isEqualTo("gamma\n");

        Result rm = sh(work, "set -e; rm -r " + m + "/made/tree; rmdir " + m + "/made/nested; rmdir " + m + "/made;"
                + " test ! -e " + m + "/made; ls -la " + m, 120);
        assertThat(rm.exit()).as("rm -r / rmdir: %s", rm.out()).isZero();
        assertThat(s3.listObjectsV2(b -> b.bucket(S3Rig.BUCKET).prefix("made")).contents()).isEmpty();
        TestWorkers.drain(rig.worker);
        assertThat(TestWorkers.ufsDir(root).resolve("made")).doesNotExist();
    }
}
