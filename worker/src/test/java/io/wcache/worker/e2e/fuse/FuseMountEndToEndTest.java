package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.python;
import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fuse.CacheSpace;
import io.wcache.fuse.FuseMount;
import io.wcache.fuse.FuseMountOptions;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.FuseFrontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real worker (embedded metadata, log store, write pipeline, persist drain, local-directory UFS)
 * mounted with FUSE as {@code wcache serve --fuse-mount} does, driven with shell tools and python.
 * Under {@code /m}: {@code /m/tr} is TRANSIENT, {@code /m/ro} READ_ONLY, {@code /m/nc} NO_CACHE, the
 * rest WRITE_BACK. A second mount of the same worker has the silly-rename interceptor on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuseMountEndToEndTest {

    Path root;
    Path mnt;
    Path hiddenMnt;
    Worker worker;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    FuseMount interceptorMount;

    @BeforeAll
    void start() throws Exception {
        root = TempDirs.create("fuse-e2e").toAbsolutePath();
        mnt = root.resolve("mnt");
        hiddenMnt = root.resolve("mnt-hidden");
        Files.createDirectories(TestWorkers.ufsDir(root));
        worker = Worker.start(TestWorkers.config(root, "cache.capacity=8GiB"),
                WorkerOptions.defaults().withSegmentSize(64L << 20), List.of(FuseFrontend.at(mnt, registry)));
        worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/tr"), WritePolicy.TRANSIENT, 1));
        worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/ro"), WritePolicy.READ_ONLY, 1));
        worker.catalog().cluster().putPathRule(new PathRule(NamespacePath.of("/m/nc"), WritePolicy.NO_CACHE, 1));
        worker.cacheService().refreshPathConfig();
        interceptorMount = FuseMount.mount(worker.cacheService(),
                FuseMountOptions.at(hiddenMnt).withSillyRenameInterceptor(true),
                CacheSpace.of(() -> 1L << 30, () -> 1L << 29), registry);
    }

    @AfterAll
    void stop() {
        try {
            if (interceptorMount != null) {
                interceptorMount.close();
            }
            if (worker != null) {
                worker.close();
            }
        } finally {
            sh(root, "fusermount -u -z " + mnt + " 2>/dev/null; fusermount -u -z " + hiddenMnt + " 2>/dev/null; true");
            TempDirs.delete(root);
        }
    }

    private Optional<ObjectInfo> stat(String path) {
        return worker.cacheService().stat(NamespacePath.of(path)).join();
    }

    private Path random(String name, int mib) {
        Path f = root.resolve(name);
        FuseShell.Result r = sh(root, "openssl enc -aes-128-ctr -pass pass:" + name + " -nosalt -pbkdf2 < /dev/zero 2>/dev/null"
                + " | head -c " + ((long) mib << 20) + " > " + f);
        assertThat(r.exit()).as(r.toString()).isZero();
        return f;
    }

    private void awaitPersistStatus(String path, PersistStatus expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ObjectInfo> info = stat(path);
            if (info.isPresent() && info.get().persistStatus() == expected) {
                return;
            }
            Thread.sleep(100);
        }
        assertThat(stat(path)).get().extracting(ObjectInfo::persistStatus).isEqualTo(expected);
    }

    @Test
    void shellToolsWorkOnTheMount() {
        Path src = random("tools-src", 3);
        FuseShell.Result r = sh(mnt, "mkdir -p m/tools/a/b && cp " + src + " m/tools/a/b/f && cmp " + src + " m/tools/a/b/f"
                + " && dd if=" + src + " of=m/tools/dd bs=1M conv=fsync status=none && cat m/tools/dd | cmp - " + src
                + " && ls -l m/tools/a/b && find m/tools -type f | sort");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(String.valueOf(3 << 20)).contains("m/tools/a/b/f\nm/tools/dd\n");
        FuseShell.Result rm = sh(mnt, "rm -rf m/tools && ls m/tools");
        assertThat(rm.err()).contains("No such file or directory");
        assertThat(stat("/m/tools/dd")).isEmpty();
    }

    @Test
    void writeCacheSemanticsAnswerWithTheRightErrors() {
        assertThat(sh(mnt, "echo once > m/sem").exit()).isZero();
        FuseShell.Result mv = sh(mnt, "mv m/sem m/sem2");
        assertThat(mv.err()).contains("Input/output error");
        FuseShell.Result ln = sh(mnt, "ln m/sem m/sem-link");
        assertThat(ln.err()).contains("Operation not supported");
        for (String cmd : new String[] {"echo again > m/sem", "echo more >> m/sem", "truncate -s 0 m/sem"}) {
            assertThat(sh(mnt, cmd).err()).as(cmd).contains("Permission denied");
        }
        FuseShell.Result py = python(mnt, "import os\ntry:\n    os.open('m/sem', os.O_CREAT | os.O_EXCL | os.O_WRONLY)\n"
                + "except FileExistsError:\n    print('EEXIST')\n");
        assertThat(py.out()).contains("EEXIST");
        assertThat(sh(mnt, "cat m/sem").out()).isEqualTo("once\n");
        assertThat(registry.find("wcache.fuse.errors").tag("op", "rename").tag("errno", "EIO").counter()).isNotNull();
    }

    @Test
    void readOnlyRefusesAndNoCachePassesThrough() throws Exception {
        // a READ_ONLY path serves what the UFS holds and refuses every change
        Files.createDirectories(TestWorkers.ufsDir(root).resolve("ro"));
        Files.writeString(TestWorkers.ufsDir(root).resolve("ro/f"), "from-ufs\n");
        assertThat(sh(mnt, "cat m/ro/f").out()).isEqualTo("from-ufs\n");
        for (String cmd : new String[] {"echo x > m/ro/g", "rm m/ro/f", "mkdir m/ro/d"}) {
            FuseShell.Result ro = sh(mnt, cmd);
            assertThat(ro.err()).as(cmd).contains("Read-only file system");
        }
        assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("ro/f"))).isEqualTo("from-ufs\n");
        FuseShell.Result nc = sh(mnt, "mkdir -p m/nc && echo direct > m/nc/f && mv m/nc/f m/nc/g && cat m/nc/g");
        assertThat(nc.out()).as(nc.toString()).isEqualTo("direct\n");
        assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("nc/g"))).isEqualTo("direct\n");
        assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("nc/f"))).isFalse();
    }

    @Test
    void writeBackFileIsPersistedAndTransientNeverIs() throws Exception {
        assertThat(sh(mnt, "mkdir -p m/tr && echo kept-local > m/tr/t && echo uploaded > m/wb").exit()).isZero();
        awaitPersistStatus("/m/wb", PersistStatus.PERSISTED);
        assertThat(Files.readString(TestWorkers.ufsDir(root).resolve("wb"))).isEqualTo("uploaded\n");
        assertThat(stat("/m/tr/t")).get().extracting(ObjectInfo::persistStatus).isEqualTo(PersistStatus.TRANSIENT);
        // The commit of a TRANSIENT file queues no upload (the decision is in the commit's own
        // transaction), and the write-back file written after it has already been uploaded.
        assertThat(worker.catalog().persistQueue().pendingTasks(1000)).noneMatch(t -> t.path().toString().equals("/m/tr/t"));
        assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("tr/t"))).isFalse();
        assertThat(sh(mnt, "cat m/tr/t").out()).isEqualTo("kept-local\n");
    }

    @Test
    void deletingAFileReclaimsItsCachedPages() throws Exception {
        assertThat(sh(mnt, "mkdir -p m/tr && dd if=/dev/zero of=m/tr/reclaim bs=1M count=16 status=none").exit()).isZero();
        long pinnedBefore = worker.logStore().stats().pinnedBytes();
        assertThat(pinnedBefore).isGreaterThanOrEqualTo(16L << 20);
        assertThat(sh(mnt, "rm m/tr/reclaim").exit()).isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (worker.logStore().stats().pinnedBytes() > pinnedBefore - (16L << 20) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(worker.logStore().stats().pinnedBytes()).isLessThanOrEqualTo(pinnedBefore - (16L << 20));
    }

    @Test
    void rmOfAnOpenFileFailsWithoutTheInterceptorAndWorksWithIt() {
        assertThat(sh(mnt, "echo open-data > m/open1 && echo open-data > m/open2").exit()).isZero();
        String program = "import os, errno\nf = open('%s/m/%s', 'rb')\n"
                + "try:\n    os.remove('%s/m/%s')\n    print('removed')\nexcept OSError as e:\n    print('rm', errno.errorcode[e.errno])\n"
                + "print(f.read().decode().strip())\nf.close()\n";
        FuseShell.Result without = python(root, String.format(program, mnt, "open1", mnt, "open1"));
        assertThat(without.out()).as(without.toString()).contains("rm EIO").contains("open-data");
        assertThat(stat("/m/open1")).isPresent();
        FuseShell.Result with = python(root, String.format(program, hiddenMnt, "open2", hiddenMnt, "open2"));
        assertThat(with.out()).as(with.toString()).contains("removed").contains("open-data");
        assertThat(stat("/m/open2")).isEmpty();
        assertThat(sh(root, "ls -a " + hiddenMnt + "/m").out()).doesNotContain(".fuse_hidden");
        assertThat(TestWorkers.ufsDir(root).toFile().list((d, n) -> n.startsWith(".fuse_hidden"))).isEmpty();
    }

    @Test
    void oneGibFileRoundTripsByteIdentical() throws Exception {
        Path src = random("gib-src", 1024);
        try {
            FuseShell.Result r = sh(mnt, "cp " + src + " m/gib && cmp " + src + " m/gib && ls -l m/gib", 600);
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).contains(String.valueOf(1L << 30));
        } finally {
            sh(mnt, "rm -f m/gib");
            Files.deleteIfExists(src);
        }
    }
}
