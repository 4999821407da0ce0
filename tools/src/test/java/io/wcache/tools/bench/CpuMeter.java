package io.wcache.tools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the benchmark JVM's CPU goes during a run: the worker's threads ({@code wcache-*} and the S3
 * server's event loops), s3proxy's (the UFS), and the rest (benchmark clients, JIT, GC), as cores
 * kept busy over the run. The worker, s3proxy and the clients share one JVM and the machine's
 * cores, so a rate that cannot grow is explained by these shares. The rest is the process's CPU
 * time minus the other two, so threads that ended during the run (the clients) are counted there.
 */
final class CpuMeter {

    /** CPU times at one instant, in nanoseconds. */
    record Snapshot(long wallNanos, long processNanos, long workerNanos, long ufsNanos, Map<String, Long> groups) {
        Snapshot(long wallNanos, long processNanos, long workerNanos, long ufsNanos) {
            this(wallNanos, processNanos, workerNanos, ufsNanos, Map.of());
        }
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    Snapshot snapshot() {
        long worker = 0;
        long ufs = 0;
        Map<String, Long> groups = new HashMap<>();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(ids[i]);
            if (cpu <= 0) {
                continue;
            }
            groups.merge(group(infos[i].getThreadName()), cpu, Long::sum);
            String component = component(infos[i].getThreadName());
            if (component == null) {
                continue;
            }
            if (component.equals("worker")) {
                worker += cpu;
            } else {
                ufs += cpu;
            }
        }
        return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), worker, ufs, groups);
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
        b.groups().forEach((g, nanos) -> {
            double ms = (nanos - a.groups().getOrDefault(g, 0L)) / 1e6 / ops;
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

    static BenchResults.CpuUse between(String key, Snapshot a, Snapshot b, double opsPerSecond) {
        double wall = Math.max(1, b.wallNanos() - a.wallNanos());
        double worker = Math.max(0, b.workerNanos() - a.workerNanos()) / wall;
        double ufs = Math.max(0, b.ufsNanos() - a.ufsNanos()) / wall;
        double process = Math.max(0, b.processNanos() - a.processNanos()) / wall;
        double rest = Math.max(0, process - worker - ufs);
        return new BenchResults.CpuUse(key, wall / 1e9, worker, ufs, rest, opsPerSecond);
    }
}
