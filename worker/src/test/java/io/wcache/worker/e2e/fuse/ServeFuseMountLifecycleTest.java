package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.fuse.FuseMount;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.WorkerMain;
import io.wcache.persister.testing.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code wcache serve --fuse-mount DIR} in a child JVM: the mount appears, SIGTERM unmounts it
 * cleanly, and after a SIGKILL the mount left behind is detected and replaced on the next start,
 * with the committed data still there.
 */
class ServeFuseMountLifecycleTest {

    @Test
    void serveMountsUnmountsOnShutdownAndRecoversAMountLeftByAKill() throws Exception {
        Path root = TempDirs.create("fuse-serve").toAbsolutePath();
        Path mnt = root.resolve("mnt");
        Files.createDirectories(TestWorkers.ufsDir(root));
        Path config = root.resolve("wcache.yaml");
        Files.writeString(config, "data.dir: " + root + "\n"
                + "metadata.engine: embedded:" + root.resolve("meta") + "\n"
                + "cache.dirs: [" + root.resolve("cache") + "]\n"
                + "cache.capacity: 256MiB\n"
                + "path.default.policy: WRITE_BACK\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.auth: none\n"
                + "admin.address: 127.0.0.1:0\n"
                + "mounts:\n  - path: /m\n    ufs: " + TestWorkers.ufsDir(root).toUri() + "\n");
        Process p = null;
        try {
            p = serve(root, config, mnt);
            assertThat(sh(mnt, "echo survives > m/a && cat m/a").out()).isEqualTo("survives\n");
            p.destroy(); // SIGTERM: the shutdown hook closes the worker, which unmounts
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(FuseMount.isFuseMountPoint(mnt)).isFalse();

            p = serve(root, config, mnt);
            p.destroyForcibly(); // SIGKILL: the mount stays behind, disconnected
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(FuseMount.isFuseMountPoint(mnt)).isTrue();

            p = serve(root, config, mnt);
            assertThat(sh(mnt, "cat m/a").out()).isEqualTo("survives\n");
        } finally {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            sh(root, "fusermount -u -z " + mnt + " 2>/dev/null; true");
        }
        assertThat(FuseMount.isFuseMountPoint(mnt)).isFalse();
        TempDirs.delete(root);
    }

    /** Starts {@code wcache serve --fuse-mount} and waits until the mount answers with the mount list. */
    private static Process serve(Path root, Path config, Path mnt) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                "serve", "--config", config.toString(), "--fuse-mount", mnt.toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("serve.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("wcache serve exited: " + Files.readString(root.resolve("serve.log")));
            }
            if (FuseMount.isFuseMountPoint(mnt) && sh(root, "ls " + mnt, 10).out().equals("m\n")) {
                return p;
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new AssertionError("the FUSE mount did not appear: " + Files.readString(root.resolve("serve.log")));
    }
}
