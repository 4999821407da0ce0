package io.wcache.logstore.bench;

import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Log store against the raw file API on the same disk, in one run: sequential append throughput
 * with a sync every 4 MiB against a FileChannel write+force loop; 10 KiB append+sync latency
 * against 10 KiB write+fdatasync; appends/s of 16 threads writing 10 KiB records with shared
 * syncs. Run from the repository root:
 * {@code mvn -B -ntp -o -q -pl log-store test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.wcache.logstore.bench.LogStoreBenchmark}
 * (system properties {@code bench.dir}, {@code bench.mib}, {@code bench.rounds}, {@code bench.seconds}).
 */
public final class LogStoreBenchmark {

    private static final int MIB = 1 << 20;

    public static void main(String[] args) throws Exception {
        Path base = Paths.get(System.getProperty("bench.dir", "log-store/target/bench"));
        int totalMib = Integer.getInteger("bench.mib", 256);
        int rounds = Integer.getInteger("bench.rounds", 5);
        int seconds = Integer.getInteger("bench.seconds", 3);
        Files.createDirectories(base);
        System.out.printf("dir=%s total=%d MiB rounds=%d%n", base.toAbsolutePath(), totalMib, rounds);

        int compareWith = Integer.getInteger("bench.compare.concurrency", 1);
        boolean concurrentOnly = Boolean.getBoolean("bench.concurrent.only");
        // 1. sequential throughput, alternating to share the disk's mood fairly
        double[] raw = new double[rounds];
        double[] store = new double[rounds];
        for (int r = 0; r < rounds && !concurrentOnly; r++) {
            raw[r] = rawSequential(fresh(base, "raw"), totalMib);
            store[r] = storeSequential(fresh(base, "store"), totalMib);
            System.out.printf("sequential round %d: raw=%.0f MiB/s store=%.0f MiB/s%n", r, raw[r], store[r]);
        }
        double rawSeq = median(raw);
        double storeSeq = median(store);

        // 2. 10 KiB append+sync latency, raw and store interleaved in blocks
        int n = concurrentOnly ? 1 : Integer.getInteger("bench.latency.count", 2000);
        long[][] lat = interleavedLatency(fresh(base, "lat"), n);
        long[] rawLat = lat[0];
        long[] storeLat = lat[1];

        // 3. 16 threads, 10 KiB records, each append followed by a (shared) sync; interleaved rounds
        double[] rawRates = new double[rounds];
        double[] storeRates = new double[rounds];
        double[] compareRates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            rawRates[r] = rawSingleThreadRate(fresh(base, "rawrate"), seconds);
            storeRates[r] = storeConcurrentRate(fresh(base, "concurrent"), 16, seconds, LogStoreConfig.DEFAULT_SYNC_CONCURRENCY);
            compareRates[r] = storeConcurrentRate(fresh(base, "serial"), 16, seconds, compareWith);
        }
        double rawRate = median(rawRates);
        double storeRate = median(storeRates);
        double compareRate = median(compareRates);
        clean(base);

        System.out.println();
        System.out.println("| measurement | log store | baseline | ratio |");
        System.out.println("| --- | ---: | ---: | ---: |");
        System.out.printf("| sequential 1 MiB appends, sync every 4 MiB (MiB/s, median of %d) | %.0f | %.0f (FileChannel write+force) | %.2f |%n",
                rounds, storeSeq, rawSeq, storeSeq / rawSeq);
        System.out.printf("| 10 KiB append+sync p50 (us) | %.0f | %.0f (10 KiB write+fdatasync) | %.2f |%n",
                pct(storeLat, 50) / 1e3, pct(rawLat, 50) / 1e3, (double) pct(storeLat, 50) / pct(rawLat, 50));
        System.out.printf("| 10 KiB append+sync p99 (us) | %.0f | %.0f | %.2f |%n",
                pct(storeLat, 99) / 1e3, pct(rawLat, 99) / 1e3, (double) pct(storeLat, 99) / pct(rawLat, 99));
        System.out.printf("| 16 threads x 10 KiB append+sync, median of rounds (appends/s) | %.0f | %.0f (1 thread write+fdatasync) | %.2f |%n",
                storeRate, rawRate, storeRate / rawRate);
        System.out.printf("| same, sync concurrency %d (appends/s) | %.0f | %.0f | %.2f |%n", compareWith,
                compareRate, rawRate, compareRate / rawRate);
    }

    private static Path fresh(Path base, String name) throws IOException {
        Path d = base.resolve(name);
        deleteTree(d);
        Files.createDirectories(d);
        return d;
    }

    private static LogStore open(Path dir) {
        return open(dir, LogStoreConfig.DEFAULT_SYNC_CONCURRENCY);
    }

    private static LogStore open(Path dir, int syncConcurrency) {
        return LogStore.open(LogStoreConfig.of(dir, 64L << 30).withSyncConcurrency(syncConcurrency), ExtentRelocator.NONE);
    }

    private static ByteBuffer payload(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return ByteBuffer.allocateDirect(size).put(b).flip();
    }

    private static double rawSequential(Path dir, int totalMib) throws IOException {
        ByteBuffer buf = payload(MIB);
        try (FileChannel ch = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long start = System.nanoTime();
            for (int i = 0; i < totalMib; i++) {
                ByteBuffer b = buf.duplicate();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                if ((i + 1) % 4 == 0) {
                    ch.force(false);
                }
            }
            ch.force(false);
            return totalMib / ((System.nanoTime() - start) / 1e9);
        } finally {
            deleteTree(dir);
        }
    }

    private static double storeSequential(Path dir, int totalMib) throws IOException {
        ByteBuffer buf = payload(MIB);
        try (LogStore store = open(dir)) {
            long start = System.nanoTime();
            for (int i = 0; i < totalMib; i++) {
                store.appendEvictable(1, (long) i * MIB, buf);
                if ((i + 1) % 4 == 0) {
                    store.sync();
                }
            }
            store.sync();
            return totalMib / ((System.nanoTime() - start) / 1e9);
        } finally {
            deleteTree(dir);
        }
    }

    private static long[][] interleavedLatency(Path dir, int n) throws IOException {
        ByteBuffer buf = payload(10 << 10);
        long[] raw = new long[n];
        long[] stored = new long[n];
        int block = 1; // alternate raw and store on every iteration: both see the same disk
        try (FileChannel ch = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             LogStore store = open(dir.resolve("store"))) {
            for (int i = 0; i < 200; i++) {
                ch.write(buf.duplicate());
                ch.force(false);
                store.appendEvictable(1, i, buf);
                store.sync();
            }
            for (int from = 0; from < n; from += block) {
                int to = Math.min(n, from + block);
                for (int i = from; i < to; i++) {
                    long t = System.nanoTime();
                    ch.write(buf.duplicate());
                    ch.force(false);
                    raw[i] = System.nanoTime() - t;
                }
                for (int i = from; i < to; i++) {
                    long t = System.nanoTime();
                    store.appendEvictable(1, 1000L + i, buf);
                    store.sync();
                    stored[i] = System.nanoTime() - t;
                }
            }
        } finally {
            deleteTree(dir);
        }
        return new long[][] {raw, stored};
    }

    private static double rawSingleThreadRate(Path dir, int seconds) throws IOException {
        ByteBuffer buf = payload(10 << 10);
        try (FileChannel ch = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long start = System.nanoTime();
            long count = 0;
            while (System.nanoTime() < end) {
                ch.write(buf.duplicate());
                ch.force(false);
                count++;
            }
            return count / ((System.nanoTime() - start) / 1e9);
        } finally {
            deleteTree(dir);
        }
    }

    private static double storeConcurrentRate(Path dir, int threads, int seconds, int syncConcurrency)
            throws Exception {
        AtomicLong count = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (LogStore store = open(dir, syncConcurrency)) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    ByteBuffer buf = payload(10 << 10);
                    long i = 0;
                    while (!stop.get()) {
                        store.appendEvictable(id, i++, buf);
                        store.sync();
                        count.incrementAndGet();
                    }
                });
                workers.add(w);
            }
            long start = System.nanoTime();
            workers.forEach(Thread::start);
            Thread.sleep(seconds * 1000L);
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            double rate = count.get() / ((System.nanoTime() - start) / 1e9);
            System.out.printf("concurrent: sync_concurrency=%d appends=%d sync_requests=%d forces=%d%n", syncConcurrency, count.get(),
                    store.stats().syncRequests(), store.stats().syncs());
            return rate;
        } finally {
            deleteTree(dir);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long pct(long[] v, double p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
    }

    private static void clean(Path base) throws IOException {
        deleteTree(base);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
