package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.FuseFrontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A file open through the real FUSE mount keeps reading its bytes while compaction moves its
 * records and deletes their segments: the reads after the move return the right bytes, never
 * {@code EIO}.
 */
class FuseReadAcrossCompactionTest {

    private static final int MIB = 1 << 20;

    @Test
    void fuseReadAfterCompactionMovedTheFileGetsItsBytesNotEio() throws Exception {
        Path root = TempDirs.create("fuse-compact").toAbsolutePath();
        Path mnt = root.resolve("mnt");
        Files.createDirectories(TestWorkers.ufsDir(root));
        try (Worker worker = Worker.start(TestWorkers.config(root),
                WorkerOptions.defaults().withSegmentSize(16L << 20),
                List.of(FuseFrontend.at(mnt, new SimpleMeterRegistry())))) {
            WorkerCacheService cache = worker.cacheService();
            byte[] body = bytes(6 * MIB, 1);
            // The file's records share 16 MiB segments with fillers deleted below, one record in five live.
            WriteSession s = WorkerCacheService.await(cache.create(NamespacePath.of("/m/moved.bin"), WriteOptions.defaults()));
            List<String> fillers = new ArrayList<>();
            for (int off = 0; off < body.length; off += MIB) {
                WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, MIB)));
                for (int i = 0; i < 4; i++) {
                    String path = "/m/filler/" + off / MIB + "-" + i;
                    WriteSession fs = WorkerCacheService.await(cache.create(NamespacePath.of(path), WriteOptions.defaults()));
                    WorkerCacheService.await(fs.append(ByteBuffer.wrap(bytes(MIB, 10 + i))));
                    WorkerCacheService.await(fs.commit());
                    fillers.add(path);
                }
            }
            WorkerCacheService.await(s.commit());

            try (FileChannel ch = FileChannel.open(mnt.resolve("m").resolve("moved.bin"), StandardOpenOption.READ)) {
                ByteBuffer got = ByteBuffer.allocate(body.length);
                got.limit(64 << 10);
                while (got.hasRemaining() && ch.read(got) > 0) {
                    // first 64 KiB, read before the move
                }
                for (String path : fillers) {
                    WorkerCacheService.await(cache.delete(NamespacePath.of(path)));
                }
                for (int i = 0; i < 16; i++) {
                    String path = "/m/tail/" + i;
                    WriteSession ts = WorkerCacheService.await(cache.create(NamespacePath.of(path), WriteOptions.defaults()));
                    WorkerCacheService.await(ts.append(ByteBuffer.wrap(bytes(MIB, 100 + i))));
                    WorkerCacheService.await(ts.commit());
                }
                assertThat(worker.logStore().reclaimNow().compactedSegments()).isPositive();
                got.limit(body.length);
                while (got.hasRemaining() && ch.read(got) > 0) {
                    // the rest, read after its records moved
                }
                assertThat(got.array()).isEqualTo(body);
            }
        } finally {
            sh(root, "fusermount -u -z " + mnt + " 2>/dev/null; true");
            TempDirs.delete(root);
        }
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
