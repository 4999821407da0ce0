package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wcache.core.error.WcacheException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cache directory whose file system fills up before {@code cache.capacity} is reached (the disk
 * is shared with other data, or the capacity is set larger than the disk): the append that hits
 * {@code ENOSPC} fails with {@link WcacheException.OutOfSpace}, which names the directory and says
 * what to do, every record appended before it stays readable, and once space is freed appends
 * go on and a reopened store finds every synced record. Runs on a real, small tmpfs.
 */
class FullFileSystemTest {

    private static final int RECORD = 256 << 10;

    @TempDir
    Path temp;

    private Path mnt;
    private boolean mounted;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        mnt = temp.resolve("small");
        Files.createDirectories(mnt);
        mounted = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0;
        assumeTrue(mounted, "needs root to mount a 4 MiB tmpfs (mount -t tmpfs) as a cache directory that fills up");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", "-l", mnt.toString());
        }
    }

    @Test
    void anAppendThatFillsTheFileSystemIsOutOfSpaceAndLosesNothing() throws Exception {
        LogStoreConfig cfg = TestData.config(mnt, 1L << 30, 1 << 20);
        List<Location> written = new ArrayList<>();
        WcacheException.OutOfSpace full = null;
        try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
            for (int i = 0; i < 64 && full == null; i++) {
                try {
                    written.add(store.appendEvictable(1, i, TestData.heap(i, RECORD)));
                    store.sync();
                } catch (WcacheException.OutOfSpace e) {
                    full = e;
                }
            }
            assertThat(full).as("a 4 MiB file system fills before 64 records of 256 KiB").isNotNull();
            assertThat(full.subject()).isEqualTo(mnt.toString());
            assertThat(full.getMessage()).contains("is full (No space left on device)").contains("cache.capacity");
            assertThat(full.retryAfter()).isPositive();
            assertThat(written).as("records appended before the disk filled").hasSizeGreaterThan(4);
            for (int i = 0; i < written.size(); i++) {
                assertThat(TestData.array(store.read(written.get(i)))).isEqualTo(TestData.bytes(i, RECORD));
            }
            // Completely full, so not even a fresh segment can be started: refused the same way.
            Path filler = mnt.resolve("filler");
            try (var out = Files.newOutputStream(filler)) {
                byte[] page = new byte[4096];
                while (true) {
                    out.write(page);
                }
            } catch (IOException expected) {
                // the file system is full now
            }
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> store.appendEvictable(1, 99, TestData.heap(99, RECORD)))
                        .isInstanceOf(WcacheException.OutOfSpace.class);
            }
            Set<String> segmentsWhileFull;
            try (var files = Files.list(mnt)) {
                segmentsWhileFull = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".seg"))
                        .collect(Collectors.toSet());
            }

            Files.delete(filler);
            assertThat(run("mount", "-o", "remount,size=16m", mnt.toString())).isZero();
            int before = written.size();
            for (int i = before; i < before + 4; i++) {
                Location l = store.appendEvictable(1, i, TestData.heap(i, RECORD));
                // A segment given up after a failed write is never appended to again.
                assertThat(segmentsWhileFull).doesNotContain(String.format("%016x.seg", l.segmentId()));
                written.add(l);
            }
            store.sync();
        }
        try (LogStore store = LogStore.open(cfg, ExtentRelocator.NONE)) {
            Set<Location> found = store.scanRecords().stream().map(LogStore.RecordInfo::location).collect(Collectors.toSet());
            for (int i = 0; i < written.size(); i++) {
                assertThat(found).as("record %d after reopening", i).contains(written.get(i));
                assertThat(TestData.array(store.read(written.get(i)))).isEqualTo(TestData.bytes(i, RECORD));
            }
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
