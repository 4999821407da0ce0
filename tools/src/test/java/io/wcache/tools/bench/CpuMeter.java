package io.wcache.tools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Where the benchmark JVM's CPU goes during a run: the worker's threads ({@code wcache-*} and the S3
 * server's event loops), s3proxy's (the UFS), and the rest (benchmark clients, JIT, GC), as cores
 * kept busy over the run. The worker, s3proxy and the clients share one JVM and the machine's
 * cores, so a rate that cannot grow is explained by these shares.
 *
 * <p>A component's CPU over a run is what each of its threads alive at the run's end spent since
 * its start (all of it for a thread started since). A thread that ended during the run takes its
 * CPU with it: it is counted in the rest (the process's CPU time minus the two components), never
 * subtracted. Comparing sums over the threads alive at each end did subtract it: a pool thread of
 * s3proxy that had run for minutes and ended in the middle of a run took its whole lifetime's CPU
 * off s3proxy's figure for that run (the likely reason s3proxy's CPU per PUT at 64 clients read
 * 0.15 ms in one run and 1.09 ms in the next).
 */
final class CpuMeter {

    /** One thread's name and CPU time at an instant, in nanoseconds. */
    record ThreadCpu(String name, long nanos) {
    }

    /** CPU times at one instant, in nanoseconds: the process's and each live thread's, by thread id. */
    record Snapshot(long wallNanos, long processNanos, Map<Long, ThreadCpu> threads) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    Snapshot snapshot() {
        Map<Long, ThreadCpu> cpu = new HashMap<>();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long nanos = threads.getThreadCpuTime(ids[i]);
            if (nanos > 0) {
                cpu.put(ids[i], new ThreadCpu(infos[i].getThreadName(), nanos));
            }
        }
        return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), cpu);
    }

    /**
     * The CPU nanoseconds the threads alive at {@code b} spent since {@code a}, summed by {@code key}
     * of their names (a null key: not counted). A thread not in {@code a} (by id and name) started
     * since: all its CPU counts.
     */
    static Map<String, Long> spentBetween(Snapshot a, Snapshot b, Function<String, String> key) {
        Map<String, Long> out = new HashMap<>();
        b.threads().forEach((id, now) -> {
            String k = key.apply(now.name());
            if (k == null) {
                return;
            }
            ThreadCpu then = a.threads().get(id);
            long spent = now.nanos() - (then != null && then.name().equals(now.name()) ? then.nanos() : 0);
            if (spent > 0) {
                out.merge(k, spent, Long::sum);
            }
        });
        return out;
    }

    /** A thread's group: its name with every run of digits as {@code N} ("wcache-hash-N", "nioEventLoopGroup-N-N"). */
    static String group(String threadName) {
        return threadName.replaceAll("[0-9]+", "N");
    }

    /**
     * The CPU milliseconds per operation of each thread group between two snapshots, largest first,
     * at least {@code minMs}; threads that ended between them are not counted.
     */
    static List<Map.Entry<String, Double>> msPerOpByGroup(Snapshot a, Snapshot b, double ops, double minMs) {
        List<Map.Entry<String, Double>> out = new ArrayList<>();
        if (ops <= 0) {
            return out;
        }
        spentBetween(a, b, CpuMeter::group).forEach((g, nanos) -> {
            double ms = nanos / 1e6 / ops;
            if (ms >= minMs) {
                out.add(Map.entry(g, ms));
            }
        });
        out.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        return out;
    }

    /** "worker", "ufs", or null for the rest. */
    static String component(String threadName) {
        if (threadName.startsWith("wcache-") || threadName.startsWith("nioEventLoopGroup")) {
            return "worker";
        }
        if (threadName.startsWith("S3Proxy") || threadName.startsWith("Connector-Scheduler")) {
            return "ufs";
        }
        return null;
    }

    /** The worker's threads' CPU nanoseconds between two snapshots. */
    static long workerNanos(Snapshot a, Snapshot b) {
        return spentBetween(a, b, CpuMeter::component).getOrDefault("worker", 0L);
    }

    static BenchResults.CpuUse between(String key, Snapshot a, Snapshot b, double opsPerSecond) {
        double wall = Math.max(1, b.wallNanos() - a.wallNanos());
        Map<String, Long> spent = spentBetween(a, b, CpuMeter::component);
        double worker = spent.getOrDefault("worker", 0L) / wall;
        double ufs = spent.getOrDefault("ufs", 0L) / wall;
        double process = Math.max(0, b.processNanos() - a.processNanos()) / wall;
        double rest = Math.max(0, process - worker - ufs);
        return new BenchResults.CpuUse(key, wall / 1e9, worker, ufs, rest, opsPerSecond);
    }
}
