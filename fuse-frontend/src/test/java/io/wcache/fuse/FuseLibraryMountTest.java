package io.wcache.fuse;

import static io.wcache.fuse.Shell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The two libraries a mount can be served by ({@code fuse.library}): libfuse 3 carries a
 * sequential writer's 1 MiB writes to the file system in one request each and tells tools to
 * write in 1 MiB pieces ({@code st_blksize}); libfuse 2 splits them into 128 KiB requests. The
 * bytes, listings and the write-once refusal are the same through both.
 */
class FuseLibraryMountTest {

    private static final int MIB = 1 << 20;

    Path work;
    FuseMount mount;

    @AfterEach
    void unmount() {
        if (mount != null) {
            mount.close();
            sh(work, "fusermount -u -z " + work.resolve("mnt") + " 2>/dev/null; true");
        }
    }

    private FileBackedCacheService mount(FuseMountOptions.Library library) throws Exception {
        work = Files.createTempDirectory("fuse-lib");
        FileBackedCacheService cache = new FileBackedCacheService(Files.createDirectories(work.resolve("store")),
                Map.of("m", WritePolicy.WRITE_BACK));
        cache.copyOnAppend = true;
        mount = FuseMount.mount(cache, FuseMountOptions.at(work.resolve("mnt")).withLibrary(library),
                CacheSpace.of(() -> 1L << 30, () -> 1L << 29), new SimpleMeterRegistry());
        return cache;
    }

    private static byte[] writeInMebibytes(Path file, int mebibytes) throws Exception {
        byte[] data = new byte[mebibytes * MIB];
        new Random(mebibytes).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < mebibytes; i++) {
                ByteBuffer b = ByteBuffer.wrap(data, i * MIB, MIB);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
        return data;
    }

    @Test
    void libfuse3RequestsRunOnTheMountsOwnThreadsNotOnAThreadStartedPerRequest() throws Exception {
        FileBackedCacheService cache = mount(FuseMountOptions.Library.FUSE3);
        Path dir = mount.mountPoint().resolve("m");
        writeInMebibytes(dir.resolve("warm"), 1);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getTotalStartedThreadCount();
        byte[] data = writeInMebibytes(dir.resolve("big"), 32);
        for (int i = 0; i < 32; i++) {
            Files.write(dir.resolve("small-" + i), new byte[] {(byte) i});
        }
        long started = threads.getTotalStartedThreadCount() - before;

        // Each request (32 writes of 1 MiB, 32 small files of several requests each) ran on a thread
        // the JVM knew already; on libfuse's own threads every callback attached a new Java thread.
        assertThat(started).as("Java threads started while serving about 200 requests").isLessThan(16);
        assertThat(cache.content("/m/big")).get().isEqualTo(data);
        assertThat(Files.readAllBytes(dir.resolve("small-31"))).containsExactly((byte) 31);
    }

    @Test
    void libfuse3CarriesOneMebibyteWriteRequestsAndTheFileReadsBackIdentical() throws Exception {
        FileBackedCacheService cache = mount(FuseMountOptions.Library.FUSE3);
        assertThat(mount.library()).isEqualTo("libfuse3");
        Path file = mount.mountPoint().resolve("m").resolve("big");
        byte[] data = writeInMebibytes(file, 8);

        assertThat(cache.largestAppend.get()).as("largest write request reaching the file system").isEqualTo(MIB);
        assertThat(cache.content("/m/big")).get().isEqualTo(data);
        assertThat(Files.readAllBytes(file)).isEqualTo(data);
        Shell.Result stat = sh(mount.mountPoint(), "stat -c %o m/big");
        assertThat(stat.out().trim()).as(stat.toString()).isEqualTo(String.valueOf(MIB));
        // the same write-once semantics as under libfuse 2
        Shell.Result again = sh(mount.mountPoint(), "echo more >> m/big");
        assertThat(again.exit()).as(again.toString()).isNotZero();
        Shell.Result ls = sh(mount.mountPoint(), "ls m");
        assertThat(ls.out()).contains("big");
    }

    @Test
    void libfuse2SplitsTheSameWritesInto128KibRequests() throws Exception {
        FileBackedCacheService cache = mount(FuseMountOptions.Library.FUSE2);
        assertThat(mount.library()).isEqualTo("libfuse2");
        Path file = mount.mountPoint().resolve("m").resolve("big");
        byte[] data = writeInMebibytes(file, 2);

        assertThat(cache.largestAppend.get()).isEqualTo(128 * 1024);
        assertThat(cache.content("/m/big")).get().isEqualTo(data);
    }
}
