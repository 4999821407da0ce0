package io.wcache.pipeline.bench;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.pipeline.Index;
import io.wcache.pipeline.Journal;
import io.wcache.pipeline.PipelineConfig;
import io.wcache.pipeline.PipelineOp;
import io.wcache.pipeline.PipelineSession;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write pipeline alone (no worker, no CacheService): 10 KiB BEGIN+APPEND+COMMIT writes at 1
 * and 16 producers, beside its two parts measured in the same run on the same engine and
 * directory: the log store's raw 10 KiB append + sync, and one Catalog transaction holding a
 * begin and a commit. The sync and the Catalog commit run in series, so a write should cost about
 * the sum of the two plus thread hand-offs. Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl disruptor-pipeline test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.pipeline.bench.WritePipelineBenchmark [-Dexec.args="SECONDS"]
 * </pre>
 */
public final class WritePipelineBenchmark {

    private static final int SIZE = 10 * 1024;

    private WritePipelineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        // Under the build directory, like the other benchmarks' work: mvn clean removes it.
        Path base = Files.isDirectory(Path.of("disruptor-pipeline", "target")) ? Path.of("disruptor-pipeline", "target") : Path.of("target");
        Path root = Files.createTempDirectory(Files.createDirectories(base.resolve("bench")), "pipebench").toAbsolutePath();
        byte[] body = new byte[SIZE];
        new Random(1).nextBytes(body);
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + root.resolve("meta"));
             LogStore store = LogStore.open(LogStoreConfig.of(root.resolve("cache"), 4L << 30), ExtentRelocator.NONE)) {
            store.restore(List.of());
            Catalog catalog = Catalog.open(engine.recordDatabase(), "bench");
            try (WritePipeline pipeline = WritePipeline.start(PipelineConfig.of("w1"), Journal.of(store), Index.of(catalog))) {
                run(pipeline, store, "warm", 1, body, 1500);
                long[] raw = rawSync(store, body, seconds);
                long[] tx = catalogTx(pipeline, catalog, seconds);
                long[] one = latency(pipeline, store, body, seconds);
                long syncs0 = store.stats().syncs();
                long n16 = run(pipeline, store, "t16", 16, body, seconds * 1000L);
                long syncs = store.stats().syncs() - syncs0;
                long n1 = run(pipeline, store, "t1", 1, body, seconds * 1000L);
                System.out.println();
                System.out.println("| measurement | p50 | p99 | ops/s |");
                System.out.println("| --- | ---: | ---: | ---: |");
                row("log store append 10 KiB + sync (raw)", raw, seconds);
                row("Catalog transaction: begin + commit, one transaction (raw)", tx, seconds);
                row("pipeline 10 KiB write, 1 producer", one, seconds);
                System.out.printf("| pipeline 10 KiB write, 1 producer (throughput run) | | | %.0f |%n", n1 / (double) seconds);
                System.out.printf("| pipeline 10 KiB write, 16 producers | | | %.0f |%n", n16 / (double) seconds);
                System.out.printf("%np50 pipeline / p50 raw sync = %.2f; p50 pipeline / p50 Catalog tx = %.2f; "
                                + "16 / 1 producer throughput = %.2f; log syncs per write at 16 = %.3f%n",
                        pct(one, 50) / (double) pct(raw, 50), pct(one, 50) / (double) pct(tx, 50), n16 / (double) n1,
                        syncs / (double) n16);
            }
        }
    }

    private static void row(String name, long[] samples, int seconds) {
        System.out.printf("| %s | %.0f µs | %.0f µs | %.0f |%n", name, pct(samples, 50) / 1e3, pct(samples, 99) / 1e3,
                samples.length / (double) seconds);
    }

    private static long pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private static long[] sorted(List<Long> xs) {
        long[] a = xs.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    private static long[] rawSync(LogStore store, byte[] body, int seconds) {
        List<Long> h = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long id = 1L << 50;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            Location loc = store.appendEvictable(id++, 0, ByteBuffer.wrap(body));
            store.sync();
            h.add(System.nanoTime() - t0);
            store.release(loc);
        }
        return sorted(h);
    }

    /** One transaction holding a begin and its commit (what a small write's batch asks of the Catalog, minus the extent). */
    private static long[] catalogTx(WritePipeline pipeline, Catalog catalog, int seconds) {
        List<Long> h = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; System.nanoTime() < end; i++) {
            PipelineSession s = pipeline.newSession(BeginRequest.of(NamespacePath.of("/b/tx/" + i), WritePolicy.TRANSIENT, "w1"));
            long t0 = System.nanoTime();
            catalog.files().apply(List.of(new CatalogOp.Begin(s.request(), s.fileId()),
                    new CatalogOp.Commit(s.ref(), new CommitRequest(0, "", 0))));
            h.add(System.nanoTime() - t0);
        }
        return sorted(h);
    }

    private static void write(WritePipeline pipeline, LogStore store, String path, byte[] body) {
        PipelineSession s = pipeline.newSession(BeginRequest.of(NamespacePath.of(path), WritePolicy.TRANSIENT, "w1"));
        ByteBuffer b = ByteBuffer.wrap(body);
        PinnedReservation r = store.reservePinned(body.length);
        try {
            List<CompletableFuture<Object>> f = pipeline.publish(List.of(new PipelineOp.Begin(s),
                    new PipelineOp.Append(s, 0, b, r, WritePipeline.crc32c(b)),
                    new PipelineOp.Commit(s, new CommitRequest(body.length, "", 0))));
            f.get(2).join();
        } finally {
            r.close();
        }
    }

    private static long[] latency(WritePipeline pipeline, LogStore store, byte[] body, int seconds) {
        List<Long> h = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; System.nanoTime() < end; i++) {
            long t0 = System.nanoTime();
            write(pipeline, store, "/b/lat/" + i, body);
            h.add(System.nanoTime() - t0);
        }
        return sorted(h);
    }

    private static long run(WritePipeline pipeline, LogStore store, String tag, int producers, byte[] body, long millis)
            throws InterruptedException {
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < producers; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    write(pipeline, store, "/b/" + tag + "/" + n + "-" + i, body);
                    done.incrementAndGet();
                }
            }, "bench-producer-" + n);
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
