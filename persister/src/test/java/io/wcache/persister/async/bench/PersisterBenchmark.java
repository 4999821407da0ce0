package io.wcache.persister.async.bench;

import io.wcache.persister.async.Backoff;
import io.wcache.persister.async.PersistRig;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.persister.async.S3Rig;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.testing.TempDirs;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.Extent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Objects persisted per second for 10 KiB WRITE_BACK objects against an embedded s3proxy, beside
 * the same server's direct PUT rate at the same parallelism, in interleaved rounds of one run.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl persister test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.persister.async.bench.PersisterBenchmark [-Dexec.args="3000 16 3"]
 * </pre>
 * Arguments: objects per round, parallelism (upload threads), rounds, and {@code claim} to have
 * every upload claim its task as before commits leased them ({@code AsyncPersister.start}).
 * {@code -Dbench.markLingerMs=N} sets the marks' linger (5 by default, as the worker's). Each
 * round also prints the cores the process kept busy while it persisted, and the CPU per object of
 * each of its thread groups (native ones too: the JIT's compilers, the engine's background threads).
 */
public final class PersisterBenchmark {

    private static final int SIZE = 10 << 10;

    private PersisterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        boolean commitLeases = !(args.length > 3 && args[3].equals("claim"));
        Path dir = TempDirs.createDeletedOnExit("persister-bench");
        byte[] body = new PatternSource(SIZE, 1).open(0, SIZE).readAllBytes();
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"));
             UnderFileSystem direct = S3Rig.ufs(s3);
             PersistRig rig = new PersistRig(dir.resolve("worker"), S3Rig.ufs(s3),
                     // No poll during a round: the uploads measured are the fast path's (a poll would
                     // claim and upload objects while the round's untimed commits still run).
                     PersisterConfig.of("w1", threads, new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1)))
                             .withPollInterval(Duration.ofHours(1))
                             .withMarkLinger(Duration.ofMillis(Long.getLong("bench.markLingerMs", 5))))) {
            rig.persister.start();
            rig.leaseUploadsAtCommit(commitLeases);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            // Warm-up of both paths (JIT, connections), not reported.
            directRound(direct, pool, threads, Math.min(500, objects), body, "warm");
            persisterRound(rig, Math.min(500, objects), "warm");
            // -Dbench.jfr=FILE records the measured rounds with the JDK's "profile" settings.
            String jfrFile = System.getProperty("bench.jfr");
            jdk.jfr.Recording jfr = null;
            if (jfrFile != null) {
                jfr = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                jfr.start();
            }
            double[] directRates = new double[rounds];
            double[] persistRates = new double[rounds];
            double[] directCpu = new double[rounds];
            double[] persistCpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long c0 = threadCpu("pool-");
                directRates[r] = directRound(direct, pool, threads, objects, body, "d" + r);
                directCpu[r] = (threadCpu("pool-") - c0) / 1e6 / objects;
                long p0 = threadCpu("wcache-persist");
                persistRates[r] = persisterRound(rig, objects, "p" + r);
                persistCpu[r] = (threadCpu("wcache-persist") - p0) / 1e6 / objects;
                System.out.printf("round %d: direct PUT %.0f obj/s (%.3f ms CPU of the calling threads per PUT), "
                        + "persister %.0f obj/s (%.3f ms CPU of the persister's threads per object)%n",
                        r, directRates[r], directCpu[r], persistRates[r], persistCpu[r]);
            }
            System.out.printf("median CPU per object: direct PUT's calling threads %.3f ms, persister threads %.3f ms%n",
                    median(directCpu), median(persistCpu));
            if (jfr != null) {
                jfr.dump(Path.of(jfrFile));
                jfr.close();
            }
            pool.shutdown();
            double d = median(directRates);
            double p = median(persistRates);
            System.out.println();
            System.out.printf("| objects/round | parallelism | rounds | direct PUT (median obj/s) | persister (median obj/s) | ratio |%n");
            System.out.printf("| ---: | ---: | ---: | ---: | ---: | ---: |%n");
            System.out.printf("| %d | %d | %d | %.0f | %.0f | %.2f |%n", objects, threads, rounds, d, p, p / d);
        }
    }

    private static double directRound(UnderFileSystem ufs, ExecutorService pool, int threads, int objects, byte[] body,
                                      String tag) throws Exception {
        AtomicInteger next = new AtomicInteger();
        UploadSource source = UploadSource.ofBytes(body);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < objects; ) {
                    ufs.put("direct/" + tag + "/" + i, source, PutOptions.DEFAULT);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        return objects / ((System.nanoTime() - t0) / 1e9);
    }

    /** Commits {@code objects} versions (untimed), then times their persistence from the fast-path events on. */
    private static double persisterRound(PersistRig rig, int objects, String tag) throws Exception {
        List<CommitResult> committed = new ArrayList<>(objects);
        List<List<Extent>> extents = new ArrayList<>(objects);
        for (int i = 0; i < objects; i++) {
            CommitResult c = rig.writeBackCommit("bench/" + tag + "/" + i, new PatternSource(SIZE, 1), "1", false);
            committed.add(c);
            extents.add(rig.catalog.files().extents(c.committed().fileId()));
        }
        long t0 = System.nanoTime();
        long cpu0 = processCpu();
        long[] stat0 = machineJiffies();
        java.util.Map<String, Long> groups0 = threadGroups();
        for (int i = 0; i < objects; i++) {
            rig.persister.onCommitted(committed.get(i).committed(), extents.get(i), committed.get(i).uploadLeasedUntil());
        }
        if (!rig.persister.awaitDrained(Duration.ofMinutes(10))) {
            throw new IllegalStateException("not drained: " + rig.persister.stats());
        }
        long wall = System.nanoTime() - t0;
        long[] stat1 = machineJiffies();
        long total = stat1[0] - stat0[0];
        if (!tag.equals("warm")) {
            System.out.printf("  %s: the process kept %.2f cores busy; the machine was idle %.0f %% and waiting for I/O %.0f %%%n",
                    tag, (processCpu() - cpu0) / (double) wall, total > 0 ? 100.0 * (stat1[1] - stat0[1]) / total : 0,
                    total > 0 ? 100.0 * (stat1[2] - stat0[2]) / total : 0);
            java.util.Map<String, Long> groups1 = threadGroups();
            StringBuilder sb = new StringBuilder("  ms of CPU per object by thread group:");
            groups1.entrySet().stream()
                    .map(e -> java.util.Map.entry(e.getKey(), e.getValue() - groups0.getOrDefault(e.getKey(), 0L)))
                    .filter(e -> e.getValue() * TICK_MS / objects >= 0.005)
                    .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> sb.append(String.format(" %s %.3f;", e.getKey(), e.getValue() * TICK_MS / objects)));
            System.out.println(sb);
        }
        return objects / (wall / 1e9);
    }

    /** Milliseconds per clock tick of /proc (USER_HZ is 100 on Linux). */
    private static final double TICK_MS = 10;

    /**
     * Clock ticks of CPU of every thread of this process (native ones too: the engine's background
     * threads, the JVM's compilers and collectors), summed by name with digits dropped.
     */
    private static java.util.Map<String, Long> threadGroups() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = java.nio.file.Files.readString(t.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String name = stat.substring(open + 1, close).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(close + 2).split(" ");
                    out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended
                }
            }
        } catch (java.io.IOException e) {
            // no /proc
        }
        return out;
    }

    /** CPU nanoseconds of this process (UploadClientBenchmark reads it too). */
    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The machine's jiffies from /proc/stat: all, idle, I/O wait (zeros where it cannot be read). */
    private static long[] machineJiffies() {
        try {
            String[] f = java.nio.file.Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long all = 0;
            for (int i = 1; i < f.length; i++) {
                all += Long.parseLong(f[i]);
            }
            return new long[] {all, Long.parseLong(f[4]), Long.parseLong(f[5])};
        } catch (java.io.IOException | RuntimeException e) {
            return new long[3];
        }
    }

    /** CPU nanoseconds of the live threads whose name starts with {@code prefix}. */
    private static long threadCpu(String prefix) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
