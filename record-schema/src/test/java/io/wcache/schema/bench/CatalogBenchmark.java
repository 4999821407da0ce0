package io.wcache.schema.bench;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.SessionRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Catalog commit throughput on the embedded engine: complete write sessions (open, one extent,
 * commit) with one session per transaction and with 100 sessions per transaction, sequential
 * and with 4 concurrent clients, next to two baselines measured in the same run: a raw
 * 4 KiB write + fsync on the same disk, and the smallest engine transaction (one key set).
 * Run it with
 * {@code mvn -B -ntp -o -q -pl record-schema test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.schema.bench.CatalogBenchmark}.
 */
public final class CatalogBenchmark {

    private static final long RUN_NANOS = 4_000_000_000L;

    private CatalogBenchmark() {
    }

    record Result(String name, long units, long txns, double seconds, long[] latenciesNanos) {
        double unitsPerSecond() {
            return units / seconds;
        }

        double percentileMillis(double p) {
            long[] sorted = latenciesNanos.clone();
            Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1e6;
        }
    }

    public static void main(String[] args) throws Exception {
        // Under the build directory by default, so the engine and the fsync baseline share one disk.
        Path root = Path.of(System.getProperty("bench.dir", "record-schema/target"));
        Files.createDirectories(root);
        Path dir = Files.createTempDirectory(root, "catalog-bench");
        List<Result> results = new ArrayList<>();
        results.add(rawFsync(dir.resolve("fsync.bin")));
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + dir.resolve("meta"))) {
            Catalog catalog = Catalog.open(engine.recordDatabase(), "bench");
            // Warm up: store creation, JIT, id blocks.
            runSessions(catalog, "warmup", 1, 1, 1_000_000_000L);
            results.add(emptyTransactions(engine));
            results.add(runSessions(catalog, "1 session / txn, 1 client", 1, 1, RUN_NANOS));
            results.add(runSessions(catalog, "1 session / txn, 4 clients", 1, 4, RUN_NANOS));
            results.add(runSessions(catalog, "100 sessions / txn, 1 client", 100, 1, RUN_NANOS));
            results.add(runSessions(catalog, "100 sessions / txn, 4 clients", 100, 4, RUN_NANOS));
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        double base = results.get(1).unitsPerSecond();
        System.out.printf("%-34s %12s %10s %10s %10s %14s%n", "case", "commits/s", "txn/s", "p50 ms", "p99 ms",
                "vs 1-key txn");
        for (Result r : results) {
            System.out.printf("%-34s %12.0f %10.0f %10.2f %10.2f %13.2fx%n", r.name(), r.unitsPerSecond(),
                    r.txns() / r.seconds(), r.percentileMillis(0.5), r.percentileMillis(0.99), r.unitsPerSecond() / base);
        }
    }

    private static Result rawFsync(Path file) throws IOException {
        List<Long> lat = new ArrayList<>();
        ByteBuffer block = ByteBuffer.allocate(4096);
        long start = System.nanoTime();
        long count = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            while (System.nanoTime() - start < RUN_NANOS / 2) {
                long t0 = System.nanoTime();
                block.clear();
                ch.write(block, (count % 256) * 4096);
                ch.force(false);
                lat.add(System.nanoTime() - t0);
                count++;
            }
        }
        return new Result("baseline: 4 KiB write + fsync", count, count, (System.nanoTime() - start) / 1e9,
                lat.stream().mapToLong(Long::longValue).toArray());
    }

    private static Result emptyTransactions(MetadataEngine engine) {
        List<Long> lat = new ArrayList<>();
        byte[] key = "bench-key".getBytes();
        long start = System.nanoTime();
        long count = 0;
        while (System.nanoTime() - start < RUN_NANOS / 2) {
            long t0 = System.nanoTime();
            long v = count;
            engine.recordDatabase().run(ctx -> {
                ctx.ensureActive().set(key, ByteBuffer.allocate(8).putLong(v).array());
                return null;
            });
            lat.add(System.nanoTime() - t0);
            count++;
        }
        return new Result("baseline: 1-key engine txn", count, count, (System.nanoTime() - start) / 1e9,
                lat.stream().mapToLong(Long::longValue).toArray());
    }

    private static Result runSessions(Catalog catalog, String name, int perTxn, int clients, long runNanos) {
        AtomicLong sessions = new AtomicLong();
        AtomicLong txns = new AtomicLong();
        List<long[]> lats = new ArrayList<>();
        long start = System.nanoTime();
        List<CompletableFuture<long[]>> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            workers.add(CompletableFuture.supplyAsync(() -> {
                List<Long> lat = new ArrayList<>();
                long i = 0;
                while (System.nanoTime() - start < runNanos) {
                    List<CatalogOp> ops = new ArrayList<>(perTxn * 3);
                    for (int k = 0; k < perTxn; k++) {
                        long id = catalog.files().reserveFileId();
                        NamespacePath path = NamespacePath.of("/bench/" + name.charAt(0) + "/c" + client + "/o" + (i++ % 5000));
                        SessionRef ref = new SessionRef(path, id);
                        ops.add(new CatalogOp.Begin(BeginRequest.of(path, WritePolicy.WRITE_BACK, "w1"), id));
                        ops.add(new CatalogOp.AddExtents(ref, List.of(new Extent(id, 0, "w1", 1, id * 4096, 4096, id))));
                        ops.add(new CatalogOp.Commit(ref, new CommitRequest(4096, "etag", id)));
                    }
                    long t0 = System.nanoTime();
                    List<OpOutcome> out = catalog.files().apply(ops);
                    lat.add(System.nanoTime() - t0);
                    for (OpOutcome o : out) {
                        if (o instanceof OpOutcome.Failure f) {
                            throw f.error();
                        }
                    }
                    sessions.addAndGet(perTxn);
                    txns.incrementAndGet();
                }
                return lat.stream().mapToLong(Long::longValue).toArray();
            }));
        }
        for (CompletableFuture<long[]> w : workers) {
            lats.add(w.join());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] all = lats.stream().flatMapToLong(Arrays::stream).toArray();
        return new Result(name, sessions.get(), txns.get(), seconds, all);
    }
}
