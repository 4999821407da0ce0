package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reclaimer running pass after pass under pinned pressure while multipart uploads, long
 * readers, {@code WRITE_THROUGH} uploads and overwrite churn run: every acknowledged object reads
 * back byte for byte, every reader gets its whole body, the UFS holds every write-through body,
 * and no segment is ever deleted while the Catalog points into it.
 */
class ReclaimUnderPressureTest {

    private static final int MIB = 1 << 20;
    private static final int ATTEMPTS = 200;

    @TempDir
    Path root;

    @Test
    void reclaimerUnderPinnedPressureLosesNothingWithMultipartReadersAndWriteThroughInFlight() throws Exception {
        // 64 MiB of cache in 8 MiB segments, 19 MiB of it for unpersisted data: about 120 MiB pass
        // through, so writes meet the pinned cap and wait for uploads, and persisted data is evicted.
        try (Worker worker = Worker.start(TestWorkers.config(root, "cache.capacity=64MiB",
                        "worker.page.store.pinned.file.capacity.limit.ratio=0.3",
                        "worker.mark.writing.files.duration=2s", "write.cache.async.file.check.period=100ms"),
                WorkerOptions.defaults().withSegmentSize(8L << 20), List.of())) {
            CacheFixture f = new CacheFixture(worker);
            for (WritePolicy policy : List.of(WritePolicy.WRITE_BACK, WritePolicy.WRITE_THROUGH, WritePolicy.TRANSIENT)) {
                worker.catalog().cluster().putPathRule(new PathRule(p("/m/" + policy.name().toLowerCase()), policy, 1));
            }
            f.cache.refreshPathConfig();
            Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
            // The object the readers read shares its segments with fillers deleted at once, so its
            // records are compacted (and, once persisted, evicted) while they read.
            byte[] big = bytes(6 * MIB, 1);
            WriteSession bigSession = WorkerCacheService.await(f.cache.create(p("/m/write_back/big"), WriteOptions.defaults()));
            List<String> fillers = new ArrayList<>();
            for (int off = 0; off < big.length; off += MIB) {
                WorkerCacheService.await(bigSession.append(ByteBuffer.wrap(big, off, MIB)));
                for (int i = 0; i < 6; i++) {
                    String filler = "/m/write_back/filler/" + off / MIB + "-" + i;
                    byte[] body = bytes(MIB, 50 + i);
                    retrying(() -> f.write(filler, body, MIB));
                    fillers.add(filler);
                }
            }
            WorkerCacheService.await(bigSession.commit());
            acknowledged.put("/m/write_back/big", big);

            // Readers opened before the fillers go: their records move (or are evicted) mid-body.
            List<ObjectReader> early = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                early.add(WorkerCacheService.await(f.cache.open(p("/m/write_back/big"))));
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger passes = new AtomicInteger();
            Thread reclaimer = new Thread(() -> {
                while (!stop.get()) {
                    worker.logStore().reclaimNow();
                    passes.incrementAndGet();
                }
            }, "test-reclaimer");
            reclaimer.start();
            try {
                for (String filler : fillers) {
                    f.cache.delete(p(filler)).join();
                }
                int afterDeletes = passes.get();
                List<CompletableFuture<Void>> work = new ArrayList<>();
                work.add(CompletableFuture.runAsync(() -> {
                    for (int u = 0; u < 3; u++) {
                        String path = "/m/write_back/multipart/" + u;
                        byte[] one = bytes(5 * MIB, 10 + u);
                        byte[] two = bytes(MIB + 17, 20 + u);
                        retrying(() -> multipart(f, path, one, two));
                        byte[] whole = new byte[one.length + two.length];
                        System.arraycopy(one, 0, whole, 0, one.length);
                        System.arraycopy(two, 0, whole, one.length, two.length);
                        acknowledged.put(path, whole);
                        assertThat(f.read(path)).as(path).isEqualTo(whole);
                    }
                }));
                work.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 12; i++) {
                        String path = "/m/write_through/" + i;
                        byte[] body = bytes(2 * MIB + i * 100_000, 30 + i);
                        retrying(() -> f.write(path, body, 256 << 10));
                        acknowledged.put(path, body);
                    }
                }));
                work.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 60; i++) {
                        String path = "/m/write_back/churn/" + (i % 6);
                        byte[] body = bytes(512 << 10, 100 + i);
                        retrying(() -> f.write(path, body, 128 << 10));
                        acknowledged.put(path, body);
                    }
                }));
                for (ObjectReader first : early) {
                    work.add(CompletableFuture.runAsync(() -> {
                        for (int round = 0; round < 6; round++) {
                            try (ObjectReader reader = round == 0 ? first
                                    : WorkerCacheService.await(f.cache.open(p("/m/write_back/big")))) {
                                ByteBuffer all = ByteBuffer.allocate(big.length);
                                for (int off = 0; off < big.length; off += 256 << 10) {
                                    all.put(WorkerCacheService.await(reader.read(off, 256 << 10)));
                                    // The early readers go on only after two full passes since the fillers went.
                                    for (int w = 0; round == 0 && off == 0 && w < 6000 && passes.get() < afterDeletes + 2; w++) {
                                        pause(10);
                                    }
                                }
                                assertThat(all.array()).as("a whole GET while the reclaimer runs").isEqualTo(big);
                            }
                        }
                    }));
                }
                CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            } finally {
                stop.set(true);
                reclaimer.join(TimeUnit.MINUTES.toMillis(1));
            }

            assertThat(passes.get()).isPositive();
            assertThat(worker.logStore().stats().compactions() + worker.logStore().stats().evictions())
                    .as("the reclaimer freed space while the work ran").isPositive();
            assertThat(worker.logStore().counters().segmentDeletesRefused.get())
                    .as("no segment the Catalog pointed into came up for deletion").isZero();
            worker.logStore().reclaimNow();
            for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
                assertThat(f.read(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
            for (int i = 0; i < 12; i++) {
                assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("write_through/" + i)))
                        .isEqualTo(acknowledged.get("/m/write_through/" + i));
            }
            assertThat(worker.sweeper().totals().dangling()).as("no write was swept while uploading").isZero();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void multipart(CacheFixture f, String path, byte[] one, byte[] two) {
        NamespacePath np = p(path);
        String id = WorkerCacheService.await(f.cache.createMultipart(np, WriteOptions.defaults())).uploadId();
        List<PartRef> parts = new ArrayList<>();
        byte[][] bodies = {one, two};
        try {
            for (int n = 1; n <= 2; n++) {
                WriteSession s = WorkerCacheService.await(f.cache.uploadPart(np, id, n));
                byte[] b = bodies[n - 1];
                for (int off = 0; off < b.length; off += MIB) {
                    WorkerCacheService.await(s.append(ByteBuffer.wrap(b, off, Math.min(MIB, b.length - off))));
                }
                parts.add(new PartRef(n, WorkerCacheService.await(s.commit()).etag()));
            }
        } catch (WcacheException.OutOfSpace e) {
            // As a client giving up on the upload does: its parts would otherwise hold pinned space
            // until the stale-upload sweep, and every retry would leave more of them behind.
            WorkerCacheService.await(f.cache.abortMultipart(np, id));
            throw e;
        }
        WorkerCacheService.await(f.cache.completeMultipart(np, id, parts));
    }

    /** Runs a write until it is acknowledged; a refusal for want of pinned space is retried after its hint. */
    private static void retrying(Runnable write) {
        retrying(() -> {
            write.run();
            return null;
        });
    }

    private static <T> T retrying(Supplier<T> write) {
        WcacheException.OutOfSpace last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                return write.get();
            } catch (WcacheException.OutOfSpace e) {
                last = e;
                try {
                    Thread.sleep(Math.min(100, e.retryAfter().toMillis()));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        throw last;
    }
}
