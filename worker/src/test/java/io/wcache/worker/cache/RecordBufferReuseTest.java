package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.WriteSession;
import io.wcache.core.digest.Md5;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large writes stage their records in buffers the sessions share and reuse ({@link RecordPool}):
 * a buffer is lent again only once the log wrote its record and the hasher read it, so writes
 * running side by side, and writes aborted half-way, never see each other's bytes.
 */
class RecordBufferReuseTest {

    @TempDir
    Path root;

    Worker worker;
    private final ExecutorService writers = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() throws InterruptedException {
        writers.shutdownNow();
        assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void concurrentLargeWritesAndAbortsReadBackTheirOwnBytesAndGiveEveryBufferBack() throws Exception {
        // The pool is the JVM's: a session another test left open (neither committed nor aborted) keeps its buffer.
        int lentBefore = RecordPool.SHARED.lent();
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        int rounds = 2;
        List<CompletableFuture<Void>> done = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            bodies.add(bytes(4 * RecordStager.RECORD + 1000 * w + 17, 100 + w));
        }
        for (int w = 0; w < 4; w++) {
            int writer = w;
            done.add(CompletableFuture.runAsync(() -> {
                byte[] body = bodies.get(writer);
                for (int r = 0; r < rounds; r++) {
                    // Each writer aborts a half-written copy of its body between two committed ones.
                    WriteSession aborted = f.open("/m/aborted-" + writer + "-" + r);
                    for (int off = 0; off < body.length / 2; off += 100_000) {
                        WorkerCacheService.await(aborted.append(ByteBuffer.wrap(body, off, 100_000)));
                    }
                    WorkerCacheService.await(aborted.abort());
                    String etag = f.write("/m/w" + writer + "-" + r, body, 128 * 1024).etag();
                    assertThat(etag).isEqualTo(HexFormat.of().formatHex(Md5.newDigest().digest(body)));
                }
            }, writers));
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        for (int w = 0; w < 4; w++) {
            for (int r = 0; r < rounds; r++) {
                assertThat(f.read("/m/w" + w + "-" + r)).as("object of writer %d, round %d", w, r)
                        .isEqualTo(bodies.get(w));
            }
        }
        assertThat(RecordPool.SHARED.allocated()).as("pooled record buffers allocated").isPositive();
        // The last records' buffers go back as their appends' completions run, on the pipeline's threads.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (RecordPool.SHARED.lent() > lentBefore && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        assertThat(RecordPool.SHARED.lent()).as("record buffers still lent").isLessThanOrEqualTo(lentBefore);
    }
}
