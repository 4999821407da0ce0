package io.wcache.worker.bench;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.config.WcacheConfig;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.cache.WorkerCacheService;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * A/B of the acknowledgement path, in one process on one worker (real embedded engine, log store
 * and Catalog; no network, persister off): 10 KiB {@code WRITE_BACK} writes through the
 * CacheService with the log sync and the Catalog commit in series (the index stage waits for each
 * batch's sync, {@link io.wcache.pipeline.WritePipeline#serialSyncForMeasurement}) and side by side
 * (the default), alternating every 20 writes (one writer) or 250 ms (16 writers), so that a noisy
 * machine's load falls on both alike. With a third argument {@code copy}, the two modes are every
 * write waiting for its log sync beside its Catalog commit ({@code write.cache.sync.copy.max: 0})
 * and a commit carrying the body, the log synced in the background (the default).
 * Per mode and round: p50/p99 at one writer, writes/s at 16, log syncs and Catalog transactions per
 * write, the JVM's CPU time per write, and the stage times. Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl worker test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.worker.bench.AckPathBenchmark [-Dexec.args="SECONDS ROUNDS [copy]"]
 * </pre>
 */
public final class AckPathBenchmark {

    private static final int SIZE = 10 * 1024;
    private static final int SLICE = 20;
    private static final long WINDOW_MS = 250;
    private static final Map<Stage, AtomicLong> COUNTS = new EnumMap<>(Stage.class);
    private static final Map<Stage, AtomicLong> NANOS = new EnumMap<>(Stage.class);

    private AckPathBenchmark() {
    }

    record Run(String mode, int round, double p50us, double p99us, double ops1, double ops16, double syncsPerWrite1,
               double txnsPerWrite1, double cpuUsPerWrite1, double syncsPerWrite16, double txnsPerWrite16,
               double cpuUsPerWrite16, double syncUs, double engineUs) {
    }

    /** What the two modes are: "serial" (sync, then commit) against "overlap", or "copy": two syncs against one. */
    private static String toggle = "serial";
    private static String nameA = "serial";
    private static String nameB = "overlap";

    /** Mode A (true) or B (false). */
    private static void setMode(Worker w, boolean a) {
        if (toggle.equals("copy")) {
            w.pipeline().copyMaxForMeasurement(a ? 0 : io.wcache.pipeline.PipelineConfig.DEFAULT_COPY_MAX_BYTES);
        } else {
            w.pipeline().serialSyncForMeasurement(a);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        toggle = args.length > 2 ? args[2] : "serial";
        if (toggle.equals("copy")) {
            nameA = "two-syncs";
            nameB = "one-sync";
        }
        Path root = TempDirs.createDeletedOnExit("ackbench").toAbsolutePath();
        String yaml = "data.dir: " + root + "\nmetadata.engine: embedded:" + root.resolve("meta") + "\n"
                + "cache.dirs: [" + root.resolve("cache") + "]\ncache.capacity: 8GiB\npath.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /b\n    ufs: " + root.resolve("ufs").toUri() + "\n";
        WcacheConfig cfg = WcacheConfig.fromYaml(yaml, "bench", List.of());
        byte[] body = new byte[SIZE];
        new Random(1).nextBytes(body);
        for (Stage s : Stage.values()) {
            COUNTS.put(s, new AtomicLong());
            NANOS.put(s, new AtomicLong());
        }
        try (Worker w = Worker.start(cfg, WorkerOptions.defaults().withPersister(false), List.of())) {
            Stages.Recorder installed = Stages.recorder();
            Stages.install((stage, nanos) -> {
                installed.record(stage, nanos);
                COUNTS.get(stage).incrementAndGet();
                NANOS.get(stage).addAndGet(nanos);
            });
            WorkerCacheService cache = w.cacheService();
            for (boolean serial : new boolean[] {true, false}) {
                setMode(w, serial);
                runWrites(cache, "warm" + serial, 1, body, 2000L);
                runWrites(cache, "warm16" + serial, 16, body, 1000L);
            }
            List<Run> runs = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                runs.addAll(interleaved(w, cache, r, body, seconds));
                System.out.println(runs.get(runs.size() - 2));
                System.out.println(runs.get(runs.size() - 1));
            }
            print(runs, rounds);
        }
    }

    /** One slice of writes in one mode, its counters accumulated into {@code acc}. */
    private static final class Acc {
        final Histogram h = new Histogram(3);
        long writes;
        long cpu;
        long syncs;
        long txns;
        long syncNanos;
        long syncCount;
        long engNanos;
        long engCount;
        long writes16;
        long cpu16;
        long syncs16;
        long txns16;
        long millis16;
    }

    /**
     * One round: the two modes alternate every {@code SLICE} writes at one writer, then every
     * {@code WINDOW_MS} at 16 writers, so that the machine's load falls on both alike.
     */
    private static List<Run> interleaved(Worker w, WorkerCacheService cache, int round, byte[] body, int seconds)
            throws Exception {
        Acc serial = new Acc();
        Acc overlap = new Acc();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        boolean mode = round % 2 == 0;
        int i = 0;
        while (System.nanoTime() < end) {
            mode = !mode;
            setMode(w, mode);
            Acc a = mode ? serial : overlap;
            long syncs0 = w.logStore().stats().syncs();
            long txn0 = COUNTS.get(Stage.CATALOG_TXN).get();
            long sN = NANOS.get(Stage.LOG_SYNC).get();
            long sC = COUNTS.get(Stage.LOG_SYNC).get();
            long eN = NANOS.get(Stage.ENGINE_COMMIT).get();
            long eC = COUNTS.get(Stage.ENGINE_COMMIT).get();
            long cpu0 = cpuNanos();
            for (int k = 0; k < SLICE; k++, i++) {
                long t0 = System.nanoTime();
                write(cache, "/b/r" + round + "/" + i, body);
                a.h.recordValue(System.nanoTime() - t0);
            }
            a.cpu += cpuNanos() - cpu0;
            a.writes += SLICE;
            a.syncs += w.logStore().stats().syncs() - syncs0;
            a.txns += COUNTS.get(Stage.CATALOG_TXN).get() - txn0;
            a.syncNanos += NANOS.get(Stage.LOG_SYNC).get() - sN;
            a.syncCount += COUNTS.get(Stage.LOG_SYNC).get() - sC;
            a.engNanos += NANOS.get(Stage.ENGINE_COMMIT).get() - eN;
            a.engCount += COUNTS.get(Stage.ENGINE_COMMIT).get() - eC;
        }
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                for (int j = 0; !stop.get(); j++) {
                    write(cache, "/b/r" + round + "c16/" + n + "-" + j, body);
                    done.incrementAndGet();
                }
            });
            th.start();
            threads.add(th);
        }
        end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            mode = !mode;
            setMode(w, mode);
            Acc a = mode ? serial : overlap;
            long d0 = done.get();
            long syncs0 = w.logStore().stats().syncs();
            long txn0 = COUNTS.get(Stage.CATALOG_TXN).get();
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(WINDOW_MS);
            a.writes16 += done.get() - d0;
            a.cpu16 += cpuNanos() - cpu0;
            a.syncs16 += w.logStore().stats().syncs() - syncs0;
            a.txns16 += COUNTS.get(Stage.CATALOG_TXN).get() - txn0;
            a.millis16 += (System.nanoTime() - t0) / 1_000_000;
        }
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        return List.of(run(nameA, round, serial), run(nameB, round, overlap));
    }

    private static Run run(String mode, int round, Acc a) {
        double secs1 = a.h.getTotalCount() == 0 ? 1 : a.h.getTotalCount() * a.h.getMean() / 1e9;
        return new Run(mode, round, a.h.getValueAtPercentile(50) / 1e3, a.h.getValueAtPercentile(99) / 1e3,
                a.writes / secs1, a.writes16 * 1000.0 / Math.max(1, a.millis16), a.syncs / (double) a.writes,
                a.txns / (double) a.writes, a.cpu / 1e3 / a.writes, a.syncs16 / (double) Math.max(1, a.writes16),
                a.txns16 / (double) Math.max(1, a.writes16), a.cpu16 / 1e3 / Math.max(1, a.writes16),
                a.syncNanos / 1e3 / Math.max(1, a.syncCount), a.engNanos / 1e3 / Math.max(1, a.engCount));
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void print(List<Run> runs, int rounds) {
        System.out.println();
        System.out.println("| mode | 1 writer p50 µs | p99 µs | writes/s | syncs/write | Catalog txns/write | CPU µs/write "
                + "| 16 writers writes/s | syncs/write | txns/write | CPU µs/write | log sync µs | engine commit µs |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String mode : List.of(nameA, nameB)) {
            List<Run> m = runs.stream().filter(r -> r.mode().equals(mode)).toList();
            System.out.printf("| %s (median of %d) | %.0f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.3f | %.3f | %.0f | %.0f | %.0f |%n",
                    mode, m.size(), med(m, Run::p50us), med(m, Run::p99us), med(m, Run::ops1), med(m, Run::syncsPerWrite1),
                    med(m, Run::txnsPerWrite1), med(m, Run::cpuUsPerWrite1), med(m, Run::ops16),
                    med(m, Run::syncsPerWrite16), med(m, Run::txnsPerWrite16), med(m, Run::cpuUsPerWrite16),
                    med(m, Run::syncUs), med(m, Run::engineUs));
        }
        double[] p50 = new double[rounds];
        double[] ops16 = new double[rounds];
        double[] cpu = new double[rounds];
        for (int r = 1; r <= rounds; r++) {
            int round = r;
            Run s = runs.stream().filter(x -> x.round() == round && x.mode().equals(nameA)).findFirst().orElseThrow();
            Run o = runs.stream().filter(x -> x.round() == round && x.mode().equals(nameB)).findFirst().orElseThrow();
            p50[r - 1] = o.p50us() / s.p50us();
            ops16[r - 1] = o.ops16() / s.ops16();
            cpu[r - 1] = o.cpuUsPerWrite1() / s.cpuUsPerWrite1();
        }
        System.out.printf("%noverlap / serial per round: 1-writer p50 %s (median %.2f); 16-writer writes/s %s (median %.2f); "
                + "1-writer CPU/write %s (median %.2f)%n", fmt(p50), median(p50), fmt(ops16), median(ops16), fmt(cpu),
                median(cpu));
    }

    private static String fmt(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format("%.2f", d));
        }
        return "(" + b + ")";
    }

    private static double med(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        return median(runs.stream().mapToDouble(f).toArray());
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static void write(WorkerCacheService cache, String path, byte[] body) {
        WriteSession s = WorkerCacheService.await(cache.create(NamespacePath.of(path), WriteOptions.defaults()));
        WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
        WorkerCacheService.await(s.commit());
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
