package io.wcache.fuse;

import static io.wcache.fuse.Shell.python;
import static io.wcache.fuse.Shell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code fuse.silly.rename.interceptor.enabled=true}: {@code rm} of an open file succeeds, the open
 * descriptor keeps reading the data, and the {@code .fuse_hidden*} name never reaches the cache
 * (no object is written or deleted under it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SillyRenameInterceptorMountTest {

    Path work;
    Path mnt;
    FileBackedCacheService cache;
    FuseMount mount;

    @BeforeAll
    void mount() throws Exception {
        work = Files.createTempDirectory("fuse-hidden");
        mnt = work.resolve("mnt");
        cache = new FileBackedCacheService(Files.createDirectories(work.resolve("store")), Map.of("m", WritePolicy.WRITE_BACK));
        mount = FuseMount.mount(cache, FuseMountOptions.at(mnt).withSillyRenameInterceptor(true),
                CacheSpace.of(() -> 1L << 30, () -> 1L << 29), new SimpleMeterRegistry());
    }

    @AfterAll
    void unmount() {
        if (mount != null) {
            mount.close();
        }
        sh(work, "fusermount -u -z " + mnt + " 2>/dev/null; true");
    }

    @Test
    void rmOfAnOpenFileSucceedsAndTheDescriptorKeepsReading() {
        cache.put("/m/d/open-rm", "0123456789".repeat(1000).getBytes());
        long deletesBefore = cache.deletes.get();
        Shell.Result py = python(mnt, "import os\nf = open('m/d/open-rm', 'rb')\nprint(f.read(10).decode())\n"
                + "os.remove('m/d/open-rm')\nprint('exists', os.path.exists('m/d/open-rm'))\n"
                + "print('hidden', [n for n in os.listdir('m/d') if n.startswith('.fuse_hidden')])\n"
                + "rest = f.read()\nprint('rest', len(rest))\nf.close()\n"
                + "print('after', os.listdir('m/d'))\n");
        assertThat(py.out()).as(py.toString()).contains("0123456789").contains("exists False")
                .contains("rest 9990").contains("after []");
        assertThat(cache.content("/m/d/open-rm")).isEmpty();
        // exactly the original path was deleted; the hidden name was never created or deleted in the cache
        assertThat(cache.deletes.get() - deletesBefore).isEqualTo(1);
    }

    @Test
    void rmOfAFileOpenForWritingDiscardsItAtClose() {
        Shell.Result py = python(mnt, "import os\nfd = os.open('m/w-rm', os.O_CREAT | os.O_WRONLY)\n"
                + "os.write(fd, b'x' * 1000)\nos.remove('m/w-rm')\nprint('exists', os.path.exists('m/w-rm'))\n"
                + "os.write(fd, b'y')\nos.close(fd)\nprint('closed')\n");
        assertThat(py.out()).as(py.toString()).contains("exists False").contains("closed");
        assertThat(cache.content("/m/w-rm")).isEmpty();
        assertThat(sh(mnt, "ls -a m").out()).doesNotContain(".fuse_hidden").doesNotContain("w-rm");
    }

    @Test
    void otherRenamesStillFailWithInputOutputError() {
        cache.put("/m/plain", "p".getBytes());
        Shell.Result r = sh(mnt, "mv m/plain m/other");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Input/output error");
    }
}
