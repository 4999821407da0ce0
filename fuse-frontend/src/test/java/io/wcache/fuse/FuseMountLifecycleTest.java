package io.wcache.fuse;

import static io.wcache.fuse.Shell.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Mount and unmount: a clean unmount on close, a mount left by a SIGKILLed process cleaned up on the next start. */
class FuseMountLifecycleTest {

    private static FuseMount mountAt(Path store, Path mnt, FileBackedCacheService[] out) throws Exception {
        FileBackedCacheService cache = new FileBackedCacheService(Files.createDirectories(store), Map.of("m", WritePolicy.WRITE_BACK));
        if (out != null) {
            out[0] = cache;
        }
        return FuseMount.mount(cache, FuseMountOptions.at(mnt), CacheSpace.of(() -> 1L << 30, () -> 1L << 29),
                new SimpleMeterRegistry());
    }

    @Test
    void closeUnmountsAndALiveMountIsNotMountedOver() throws Exception {
        Path work = Files.createTempDirectory("fuse-life");
        Path mnt = work.resolve("mnt");
        FuseMount mount = mountAt(work.resolve("s1"), mnt, null);
        try {
            assertThat(FuseMount.isFuseMountPoint(mnt)).isTrue();
            assertThat(sh(work, "ls mnt").out()).isEqualTo("m\n");
            assertThatThrownBy(() -> mountAt(work.resolve("s2"), mnt, null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already a live FUSE mount");
        } finally {
            mount.close();
        }
        assertThat(FuseMount.isFuseMountPoint(mnt)).isFalse();
        assertThat(sh(work, "ls -A mnt").out()).isEmpty();
    }

    @Test
    void mountLeftByAKilledProcessIsCleanedUpOnTheNextStart() throws Exception {
        Path work = Files.createTempDirectory("fuse-stale");
        Path mnt = work.resolve("mnt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StaleMountChild.class.getName(), work.resolve("child-store").toString(), mnt.toString())
                .redirectErrorStream(true).start();
        FuseMount mount = null;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Boolean> mounted = CompletableFuture.supplyAsync(() -> out.lines().anyMatch("MOUNTED"::equals));
            assertThat(mounted.get(60, TimeUnit.SECONDS)).isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no unmount
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(FuseMount.isFuseMountPoint(mnt)).isTrue();
            assertThat(sh(work, "ls mnt").err()).contains("Transport endpoint is not connected");

            FileBackedCacheService[] cache = new FileBackedCacheService[1];
            mount = mountAt(work.resolve("store"), mnt, cache);
            Shell.Result r = sh(work, "echo revived > mnt/m/f && cat mnt/m/f");
            assertThat(r.out()).as(r.toString()).isEqualTo("revived\n");
        } finally {
            child.destroyForcibly();
            if (mount != null) {
                mount.close();
            }
            sh(work, "fusermount -u -z " + mnt + " 2>/dev/null; true");
        }
        assertThat(FuseMount.isFuseMountPoint(mnt)).isFalse();
    }
}
