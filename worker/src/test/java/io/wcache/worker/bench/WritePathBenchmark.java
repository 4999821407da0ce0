package io.wcache.worker.bench;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.persister.testing.TempDirs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * In-process write-path benchmark (no network): 10 KiB {@code WRITE_BACK} writes through the
 * CacheService, latency at 1 writer and throughput at 16, beside the log store's raw
 * append+sync latency measured in the same run on the same directory. Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl worker test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.worker.bench.WritePathBenchmark [-Dexec.args="SECONDS"]
 * </pre>
 */
public final class WritePathBenchmark {

    private static final int SIZE = 10 * 1024;

    private WritePathBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path root = TempDirs.createDeletedOnExit("wpbench").toAbsolutePath();
        String yaml = "data.dir: " + root + "\nmetadata.engine: embedded:" + root.resolve("meta") + "\n"
                + "cache.dirs: [" + root.resolve("cache") + "]\ncache.capacity: 8GiB\npath.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /b\n    ufs: " + root.resolve("ufs").toUri() + "\n";
        WcacheConfig cfg = WcacheConfig.fromYaml(yaml, "bench", List.of());
        byte[] body = new byte[SIZE];
        new Random(1).nextBytes(body);
        try (Worker w = Worker.start(cfg, WorkerOptions.defaults().withPersister(false), List.of())) {
            WorkerCacheService cache = w.cacheService();
            LogStore store = w.logStore();
            // Warm-up: JIT, Record Layer caches, first segment.
            runWrites(cache, "warm", 1, body, 1500L);
            Histogram raw = rawSync(store, body, seconds);
            Histogram one = latency(cache, body, seconds);
            long syncsBefore = store.stats().syncs();
            long[] t16 = throughput(cache, body, 16, seconds);
            long syncs = store.stats().syncs() - syncsBefore;
            long[] t1 = throughput(cache, body, 1, seconds);
            System.out.println();
            System.out.println("| measurement | p50 | p99 | ops/s |");
            System.out.println("| --- | ---: | ---: | ---: |");
            System.out.printf("| log store append 10 KiB + sync (raw baseline) | %.0f µs | %.0f µs | %.0f |%n",
                    raw.getValueAtPercentile(50) / 1e3, raw.getValueAtPercentile(99) / 1e3, raw.getTotalCount() / (double) seconds);
            System.out.printf("| CacheService 10 KiB WRITE_BACK, 1 writer | %.0f µs | %.0f µs | %.0f |%n",
                    one.getValueAtPercentile(50) / 1e3, one.getValueAtPercentile(99) / 1e3, t1[0] / (double) seconds);
            System.out.printf("| CacheService 10 KiB WRITE_BACK, 16 writers | | | %.0f |%n", t16[0] / (double) seconds);
            System.out.printf("%nratio p50(1 writer) / p50(raw sync) = %.2f; 16 writers / 1 writer throughput = %.2f; "
                            + "log syncs per write at 16 writers = %.3f%n",
                    one.getValueAtPercentile(50) / (double) raw.getValueAtPercentile(50), t16[0] / (double) t1[0],
                    syncs / (double) t16[0]);
        }
    }

    private static Histogram rawSync(LogStore store, byte[] body, int seconds) {
        Histogram h = new Histogram(3);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long id = 1L << 50;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            Location loc = store.appendEvictable(id++, 0, ByteBuffer.wrap(body));
            store.sync();
            h.recordValue(System.nanoTime() - t0);
            store.release(loc);
        }
        return h;
    }

    private static void write(WorkerCacheService cache, String path, byte[] body) {
        WriteSession s = WorkerCacheService.await(cache.create(NamespacePath.of(path), WriteOptions.defaults()));
        WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
        WorkerCacheService.await(s.commit());
    }

    private static Histogram latency(WorkerCacheService cache, byte[] body, int seconds) {
        Histogram h = new Histogram(3);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; System.nanoTime() < end; i++) {
            long t0 = System.nanoTime();
            write(cache, "/b/lat/" + i, body);
            h.recordValue(System.nanoTime() - t0);
        }
        return h;
    }

    private static long[] throughput(WorkerCacheService cache, byte[] body, int writers, int seconds) throws Exception {
        return new long[] {runWrites(cache, "t" + writers, writers, body, seconds * 1000L)};
    }

    private static long runWrites(WorkerCacheService cache, String tag, int writers, byte[] body, long millis)
            throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < writers; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    write(cache, "/b/" + tag + "/" + n + "-" + i, body);
                    done.incrementAndGet();
                }
            });
            th.start();
            threads.add(th);
        }
        Thread.sleep(millis);
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        return done.get();
    }
}
