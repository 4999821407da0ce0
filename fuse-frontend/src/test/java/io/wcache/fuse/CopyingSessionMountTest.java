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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Writes through a real mount to a session that copies on append ({@code WriteSession#copiesOnAppend},
 * as the worker's cached sessions do): the mount hands it the kernel request's buffer in place, with
 * no copy of its own, and waits only for the session's backpressure, with a window wide enough to
 * ride out a slow moment of the pipeline below.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CopyingSessionMountTest {

    private static final int PIECE = 128 * 1024;

    Path work;
    Path mnt;
    FileBackedCacheService cache;
    FuseMount mount;

    @BeforeAll
    void mount() throws Exception {
        work = Files.createTempDirectory("fuse-copying");
        mnt = work.resolve("mnt");
        cache = new FileBackedCacheService(Files.createDirectories(work.resolve("store")),
                Map.of("m", WritePolicy.WRITE_BACK));
        cache.copyOnAppend = true;
        mount = FuseMount.mount(cache, FuseMountOptions.at(mnt), CacheSpace.of(() -> 1L << 30, () -> 1L << 29),
                new SimpleMeterRegistry());
    }

    @AfterAll
    void unmount() {
        cache.appendSettled.complete(null);
        if (mount != null) {
            mount.close();
        }
        sh(work, "fusermount -u -z " + mnt + " 2>/dev/null; true");
    }

    @Test
    void theRequestBufferIsHandedOverInPlaceAndTheFileReadsBackByteIdentical() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Path src = work.resolve("src");
        Files.write(src, data);
        long before = cache.copiedAppends.get();
        long directBefore = cache.directAppends.get();
        Shell.Result r = sh(mnt, "cp " + src + " m/in-place && cmp " + src + " m/in-place");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(cache.content("/m/in-place")).get().isEqualTo(data);
        long appends = cache.copiedAppends.get() - before;
        assertThat(appends).isPositive();
        // before, every piece was first copied into a pooled heap array of the mount's
        assertThat(cache.directAppends.get() - directBefore).as("appends handed the request's own buffer")
                .isEqualTo(appends);
    }

    @Test
    void appendsWaitingOnTheSessionsBackpressureDoNotStallTheWriterBeforeTheWindowIsFull() throws Exception {
        int pieces = 48; // more than the 16 a mount keeps pending when it holds the buffers itself
        byte[] data = new byte[pieces * PIECE];
        new Random(48).nextBytes(data);
        CompletableFuture<Void> settled = new CompletableFuture<>();
        cache.appendSettled = settled;
        long before = cache.copiedAppends.get();
        Path file = mnt.resolve("m").resolve("held");
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int i = 0; i < pieces; i++) {
                    ByteBuffer b = ByteBuffer.wrap(data, i * PIECE, PIECE);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            // Every piece reaches the session while none of its appends has settled.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cache.copiedAppends.get() - before < pieces && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            assertThat(cache.copiedAppends.get() - before).as("pieces accepted while the session holds back")
                    .isEqualTo(pieces);
            assertThat(writer).isNotDone(); // close() commits, which waits for every append to settle
        } finally {
            settled.complete(null);
            cache.appendSettled = CompletableFuture.completedFuture(null);
        }
        writer.get(30, TimeUnit.SECONDS);
        assertThat(cache.content("/m/held")).get().isEqualTo(data);
    }
}
