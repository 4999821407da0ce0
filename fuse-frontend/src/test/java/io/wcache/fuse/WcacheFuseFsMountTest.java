package io.wcache.fuse;

import static io.wcache.fuse.Shell.python;
import static io.wcache.fuse.Shell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The file system on a real kernel mount, driven by the shell tools and python a user would use,
 * over {@link FileBackedCacheService}. Mounts: {@code /m} WRITE_BACK, {@code /tr} TRANSIENT,
 * {@code /wt} WRITE_THROUGH, {@code /ro} READ_ONLY, {@code /nc} NO_CACHE.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WcacheFuseFsMountTest {

    static final long CAPACITY = 64L << 30;
    static final long FREE = 40L << 30;

    Path work;
    Path mnt;
    FileBackedCacheService cache;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    FuseMount mount;

    @BeforeAll
    void mount() throws Exception {
        work = Files.createTempDirectory("fuse-test");
        Path store = Files.createDirectories(work.resolve("store"));
        mnt = work.resolve("mnt");
        cache = new FileBackedCacheService(store, Map.of("m", WritePolicy.WRITE_BACK, "tr", WritePolicy.TRANSIENT,
                "wt", WritePolicy.WRITE_THROUGH, "ro", WritePolicy.READ_ONLY, "nc", WritePolicy.NO_CACHE));
        mount = FuseMount.mount(cache, FuseMountOptions.at(mnt), CacheSpace.of(() -> CAPACITY, () -> FREE), registry);
    }

    @AfterAll
    void unmount() {
        if (mount != null) {
            mount.close();
        }
        sh(work, "fusermount -u -z " + mnt + " 2>/dev/null; true");
    }

    private Path local(String name, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Path f = work.resolve(name);
        Files.write(f, data);
        return f;
    }

    @Test
    void copiedFileReadsBackByteIdenticalAndIsListedWithItsSize() throws Exception {
        Path src = local("copy-src", 3 * 1024 * 1024 + 17);
        Shell.Result r = sh(mnt, "cp " + src + " m/copied && cmp " + src + " m/copied && cat m/copied | cmp - " + src
                + " && ls -l m/ | grep copied && find m -name copied");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(String.valueOf(3 * 1024 * 1024 + 17)).contains("m/copied");
        assertThat(cache.content("/m/copied")).get().isEqualTo(Files.readAllBytes(src));
    }

    @Test
    void writesArriveInBigPiecesNotPages() throws Exception {
        double before = writeCount();
        Shell.Result r = sh(mnt, "dd if=/dev/zero of=m/dd-8m bs=1M count=8 conv=fsync status=none");
        assertThat(r.exit()).as(r.toString()).isZero();
        // 8 MiB in 128 KiB pieces is 64 writes; in 4 KiB pages it would be 2048
        assertThat(writeCount() - before).isLessThanOrEqualTo(80);
        assertThat(cache.content("/m/dd-8m")).get().satisfies(b -> assertThat(b).hasSize(8 << 20));
    }

    private double writeCount() {
        return registry.find("wcache.fuse.operations").tag("op", "write").timers().stream()
                .mapToDouble(t -> t.count()).sum();
    }

    @Test
    void mkdirPThenCopyIntoItAndRmRfRemovesEverything() throws Exception {
        Path src = local("tree-src", 1000);
        Shell.Result r = sh(mnt, "mkdir -p m/tree/a/b && cp " + src + " m/tree/a/b/ && cp " + src + " m/tree/top"
                + " && mkdir m/tree/empty && find m/tree | sort");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines()).containsExactly("m/tree", "m/tree/a", "m/tree/a/b", "m/tree/a/b/tree-src",
                "m/tree/empty", "m/tree/top");
        assertThat(cache.content("/m/tree/a/b/tree-src")).isPresent();

        Shell.Result rm = sh(mnt, "rm -rf m/tree && ls m/tree");
        assertThat(rm.exit()).as(rm.toString()).isNotZero();
        assertThat(rm.err()).contains("No such file or directory");
        assertThat(cache.content("/m/tree/a/b/tree-src")).isEmpty();
        assertThat(cache.content("/m/tree/top")).isEmpty();
    }

    @Test
    void mvFailsWithInputOutputErrorAndLeavesTheFile() throws Exception {
        cache.put("/m/mv-src", "hello".getBytes());
        Shell.Result r = sh(mnt, "mv m/mv-src m/mv-dst");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Input/output error");
        assertThat(cache.content("/m/mv-src")).isPresent();
        assertThat(cache.content("/m/mv-dst")).isEmpty();
    }

    @Test
    void lnFailsWithOperationNotSupported() throws Exception {
        cache.put("/m/ln-src", "hello".getBytes());
        Shell.Result r = sh(mnt, "ln m/ln-src m/ln-dst");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Operation not supported");
    }

    @Test
    void closedFileCannotBeRewrittenAppendedOrTruncated() throws Exception {
        for (String m : new String[] {"m", "tr", "wt"}) {
            Shell.Result w = sh(mnt, "echo first > " + m + "/once");
            assertThat(w.exit()).as(w.toString()).isZero();
            for (String cmd : new String[] {"echo again > " + m + "/once", "echo more >> " + m + "/once",
                    "truncate -s 0 " + m + "/once", "dd if=/dev/zero of=" + m + "/once bs=1 count=1 conv=notrunc"}) {
                Shell.Result r = sh(mnt, cmd);
                assertThat(r.exit()).as(cmd).isNotZero();
                assertThat(r.err()).as(cmd).contains("Permission denied");
            }
            Shell.Result py = python(mnt, "import os\ntry:\n    os.open('" + m + "/once', os.O_RDWR)\n"
                    + "except PermissionError:\n    print('EACCES')\n");
            assertThat(py.out()).as(py.toString()).contains("EACCES");
            assertThat(cache.content("/" + m + "/once")).get().isEqualTo("first\n".getBytes());
        }
    }

    @Test
    void exclusiveCreateOfAnExistingFileRaisesFileExistsError() throws Exception {
        cache.put("/m/excl", "x".getBytes());
        Shell.Result py = python(mnt, "import os\ntry:\n    os.open('m/excl', os.O_CREAT | os.O_EXCL | os.O_WRONLY)\n"
                + "except FileExistsError:\n    print('EEXIST')\n"
                + "fd = os.open('m/excl-new', os.O_CREAT | os.O_EXCL | os.O_WRONLY)\nos.write(fd, b'ok')\nos.close(fd)\n"
                + "print(open('m/excl-new').read())\n");
        assertThat(py.out()).as(py.toString()).contains("EEXIST").contains("ok");
    }

    @Test
    void nonSequentialWriteFailsWithIllegalSeekAndGetattrShowsTheGrowingSize() throws Exception {
        Shell.Result py = python(mnt, "import os, errno\nfd = os.open('m/seq', os.O_CREAT | os.O_WRONLY)\n"
                + "os.write(fd, b'a' * 1000)\nprint('size', os.stat('m/seq').st_size)\n"
                + "try:\n    os.pwrite(fd, b'b', 5000)\nexcept OSError as e:\n    print('pwrite', errno.errorcode[e.errno])\n"
                + "os.write(fd, b'c' * 24)\nos.close(fd)\nprint('final', os.stat('m/seq').st_size)\n");
        assertThat(py.out()).as(py.toString()).contains("size 1000").contains("pwrite ESPIPE").contains("final 1024");
    }

    @Test
    void readOnlyPathRefusesEveryWriteWithEROFS() throws Exception {
        cache.seed("/ro/existing", "keep".getBytes());
        for (String cmd : new String[] {"echo x > ro/new", "mkdir ro/dir", "rm -f ro/existing", "truncate -s 0 ro/existing"}) {
            Shell.Result r = sh(mnt, cmd);
            assertThat(r.exit()).as(cmd).isNotZero();
            assertThat(r.err()).as(cmd).contains("Read-only file system");
        }
        assertThat(sh(mnt, "cat ro/existing").out()).isEqualTo("keep");
    }

    @Test
    void noCachePathPassesOverwriteAndRenameThrough() throws Exception {
        Shell.Result r = sh(mnt, "echo one > nc/f && echo two > nc/f && mv nc/f nc/g && cat nc/g && ls nc");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("two\n").doesNotContain("f\n");
        assertThat(cache.content("/nc/f")).isEmpty();
        assertThat(cache.content("/nc/g")).get().isEqualTo("two\n".getBytes());
    }

    @Test
    void commitErrorIsReturnedByClose() throws Exception {
        cache.failCommitsUnder("/m/full/");
        sh(mnt, "mkdir -p m/full");
        Shell.Result py = python(mnt, "import os, errno\nfd = os.open('m/full/f', os.O_CREAT | os.O_WRONLY)\n"
                + "os.write(fd, b'x' * 4096)\ntry:\n    os.close(fd)\n    print('closed ok')\n"
                + "except OSError as e:\n    print('close', errno.errorcode[e.errno])\n");
        assertThat(py.out()).as(py.toString()).contains("close ENOSPC");
        assertThat(cache.content("/m/full/f")).isEmpty();
        assertThat(registry.find("wcache.fuse.errors").tag("op", "flush").tag("errno", "ENOSPC").counter())
                .isNotNull().satisfies(c -> assertThat(c.count()).isPositive());
    }

    @Test
    void rmOfAnOpenFileFailsWithInputOutputErrorWithoutTheInterceptor() throws Exception {
        cache.put("/m/open-rm", "still here".getBytes());
        Shell.Result py = python(mnt, "import os, errno\nf = open('m/open-rm', 'rb')\n"
                + "try:\n    os.remove('m/open-rm')\nexcept OSError as e:\n    print('rm', errno.errorcode[e.errno])\n"
                + "print(f.read().decode())\nf.close()\n");
        assertThat(py.out()).as(py.toString()).contains("rm EIO").contains("still here");
        assertThat(cache.content("/m/open-rm")).isPresent();
    }

    @Test
    void statfsReportsTheCacheCapacityAndFreeSpace() {
        Shell.Result py = python(mnt, "import os\ns = os.statvfs('m')\nprint(s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize)\n");
        assertThat(py.out().strip()).isEqualTo(CAPACITY + " " + FREE);
    }

    @Test
    void largeDirectoryIsListedWhole() {
        int n = 2500;
        for (int i = 0; i < n; i++) {
            cache.put(String.format("/m/big/f%05d", i), new byte[0]);
        }
        Shell.Result r = sh(mnt, "ls m/big | wc -l && ls m/big | sort -c && find m/big -type f | wc -l");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines()).containsExactly(String.valueOf(n), String.valueOf(n));
    }

    @Test
    void changesCommittedElsewhereBecomeVisibleWithinTheCacheTimeout() throws Exception {
        assertThat(sh(mnt, "cat m/elsewhere").exit()).isNotZero();
        cache.put("/m/elsewhere", "v1".getBytes());
        // no negative caching: a path created elsewhere is visible at once
        assertThat(sh(mnt, "cat m/elsewhere").out()).isEqualTo("v1");
        cache.delete(io.wcache.core.path.NamespacePath.of("/m/elsewhere")).join();
        Thread.sleep(FuseMountOptions.DEFAULT_CACHE_TIMEOUT.toMillis() + 200);
        assertThat(sh(mnt, "ls m/elsewhere").exit()).isNotZero();
    }

    @Test
    void operationsAreTimedInTheMetrics() {
        sh(mnt, "ls -l m > /dev/null");
        assertThat(registry.find("wcache.fuse.operations").tag("op", "getattr").timers())
                .anySatisfy(t -> assertThat(t.count()).isPositive());
        assertThat(registry.find("wcache.fuse.operations").tag("op", "readdir").timers()).isNotEmpty();
    }

    @Test
    void failedAppendIsReportedAsItsOwnErrorByLaterWritesAndClose() throws Exception {
        cache.failAppendsUnder("/m/broken/");
        sh(mnt, "mkdir -p m/broken");
        Shell.Result py = python(mnt, "import os, errno\nfd = os.open('m/broken/f', os.O_CREAT | os.O_WRONLY)\n"
                + "for i in range(8):\n    try:\n        os.write(fd, b'x' * (1 << 20))\n"
                + "    except OSError as e:\n        print('write', errno.errorcode[e.errno])\n"
                + "try:\n    os.close(fd)\n    print('closed ok')\nexcept OSError as e:\n    print('close', errno.errorcode[e.errno])\n");
        assertThat(py.out()).as(py.toString()).contains("write EIO").doesNotContain("EACCES").contains("close EIO");
        assertThat(cache.content("/m/broken/f")).isEmpty();
    }
}
