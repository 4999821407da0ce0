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
}
