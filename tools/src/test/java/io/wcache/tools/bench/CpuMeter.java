package io.wcache.tools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * Where the benchmark JVM's CPU goes during a run: the worker's threads ({@code wcache-*} and the S3
 * server's event loops), s3proxy's (the UFS), and the rest (benchmark clients, JIT, GC), as cores
 * kept busy over the run. The worker, s3proxy and the clients share one JVM and the machine's
 * cores, so a rate that cannot grow is explained by these shares. The rest is the process's CPU
 * time minus the other two, so threads that ended during the run (the clients) are counted there.
 */
final class CpuMeter {

    /** CPU times at one instant, in nanoseconds. */
    record Snapshot(long wallNanos, long processNanos, long workerNanos, long ufsNanos) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    Snapshot snapshot() {
        long worker = 0;
        long ufs = 0;
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            String component = component(infos[i].getThreadName());
            if (component == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(ids[i]);
            if (cpu <= 0) {
                continue;
            }
            if (component.equals("worker")) {
                worker += cpu;
            } else {
                ufs += cpu;
            }
        }
        return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), worker, ufs);
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
