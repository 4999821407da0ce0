package io.wcache.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything one benchmark run measured, as plain values: the machine and settings, the floors,
 * each latency run, the bandwidth and persistence figures, FUSE when it ran, the targets checked
 * against them, and notes. This is what {@code results.json} holds; the table and the charts are
 * derived from it.
 */
public record BenchResults(String startedAt, String command, Machine machine, Settings settings, Floors floors,
                           List<Latency> latencies, List<Bandwidth> bandwidths, Persistence persistence,
                           List<TargetCheck> targets, List<String> notes, List<CpuUse> cpu, List<StageRun> stages) {

    public BenchResults(String startedAt, String command, Machine machine, Settings settings, Floors floors,
                        List<Latency> latencies, List<Bandwidth> bandwidths, Persistence persistence,
                        List<TargetCheck> targets, List<String> notes, List<CpuUse> cpu) {
        this(startedAt, command, machine, settings, floors, latencies, bandwidths, persistence, targets, notes, cpu,
                List.of());
    }

    /** One stage of the worker during one run ({@link StageTimes}): operations counted, p50 and p99 in ms. */
    public record StageLatency(String stage, long count, double p50Ms, double p99Ms) {
    }

    /** The worker's stages during the run with {@code key} (a latency run's key). */
    public record StageRun(String key, List<StageLatency> stages) {
    }

    /** Where the run happened; the load average is read at the start and at the end. */
    public record Machine(int cores, long memoryBytes, String os, String java, String loadAverageStart,
                          String loadAverageEnd, String disk) {
    }

    /** The knobs of the run. */
    public record Settings(double seconds, double warmupSeconds, int smallBytes, int largeBytes, int largeConcurrency,
                           int persistObjects, int persistParallelism, int persistClientConcurrency,
                           long fuseBytes) {
    }

    /** The machine's floors: fsync latency, sequential bandwidth with fdatasync, loopback HTTP round trip. */
    public record Floors(Latency fsync, Bandwidth sequentialWrite, Latency httpRoundTrip) {
    }

    /**
     * One latency run. {@code key} identifies it in code and charts ({@code put.wb.c16});
     * {@code percentiles} maps a percentile to milliseconds for the distribution charts.
     */
    public record Latency(String key, String name, int concurrency, long ops, long errors, double seconds,
                          double opsPerSecond, double p50Ms, double p90Ms, double p99Ms, double p999Ms, double maxMs,
                          double meanMs, String firstError, Map<Double, Double> percentiles) {

        public static Latency of(String key, LatencySummary s) {
            Map<Double, Double> curve = new java.util.TreeMap<>();
            if (s.histogram().getTotalCount() > 0) {
                for (double p : new double[] {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100}) {
                    curve.put(p, s.percentileMs(p));
                }
            }
            return new Latency(key, s.name(), s.concurrency(), s.ops(), s.errors(), s.seconds(), s.opsPerSecond(),
                    s.p50Ms(), s.percentileMs(90), s.p99Ms(), s.percentileMs(99.9), s.maxMs(), s.meanMs(),
                    s.firstError(), curve);
        }
    }

    /** A throughput in MB/s (10^6 bytes per second). */
    public record Bandwidth(String key, String name, double mbPerSecond, long bytes, double seconds, int concurrency,
                            long errors, String detail) {
    }

    /**
     * Asynchronous persistence: {@code objects} {@code WRITE_BACK} objects from the first PUT until
     * the persist queue was empty, against the UFS's own direct PUT rate at the persister's
     * parallelism. {@code pendingAtEnd} is 0 unless the wait timed out; {@code verifiedInUfs}
     * counts the objects found in the UFS afterwards.
     */
    public record Persistence(int objects, double putSeconds, double totalSeconds, double objectsPerSecond,
                              double ufsDirectPutsPerSecond, int parallelism, long pendingAtEnd, long verifiedInUfs,
                              long backlogBefore, long pendingAfterPuts) {

        /**
         * Uploads per second once the PUTs had ended: the uploads still pending then, over the time
         * they took to drain, when the persister had the machine to itself (0 if none were left).
         */
        public double drainPerSecond() {
            double seconds = totalSeconds - putSeconds;
            return pendingAfterPuts <= pendingAtEnd || seconds <= 0 ? 0 : (pendingAfterPuts - pendingAtEnd) / seconds;
        }
    }

    /**
     * The cores the worker, s3proxy and the rest of the benchmark JVM kept busy during run
     * {@code key} (see {@link CpuMeter}), and the run's operations per second, so CPU per operation
     * can be read off.
     */
    public record CpuUse(String key, double seconds, double workerCores, double ufsCores, double restCores,
                         double opsPerSecond) {
        public double totalCores() {
            return workerCores + ufsCores + restCores;
        }

        /** Milliseconds of CPU per operation spent by {@code cores}. */
        public double msPerOp(double cores) {
            return opsPerSecond > 0 ? cores * 1000 / opsPerSecond : Double.NaN;
        }
    }

    /** One target: {@code measured} compared with {@code limit} by {@code rule}, and whether it held. */
    public record TargetCheck(String target, String measured, String limit, double ratio, boolean met) {
    }

    /** A mutable builder: the run fills it phase by phase. */
    public static final class Builder {
        String startedAt;
        String command;
        Machine machine;
        Settings settings;
        Floors floors;
        final List<Latency> latencies = new ArrayList<>();
        final List<Bandwidth> bandwidths = new ArrayList<>();
        Persistence persistence;
        final List<TargetCheck> targets = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final List<CpuUse> cpu = new ArrayList<>();
        final List<StageRun> stages = new ArrayList<>();

        public BenchResults build() {
            return new BenchResults(startedAt, command, machine, settings, floors, List.copyOf(latencies),
                    List.copyOf(bandwidths), persistence, List.copyOf(targets), List.copyOf(notes), List.copyOf(cpu),
                    List.copyOf(stages));
        }
    }

    /** The latency run with {@code key}, if it ran. */
    public java.util.Optional<Latency> latency(String key) {
        if (floors != null && floors.fsync() != null && floors.fsync().key().equals(key)) {
            return java.util.Optional.of(floors.fsync());
        }
        if (floors != null && floors.httpRoundTrip() != null && floors.httpRoundTrip().key().equals(key)) {
            return java.util.Optional.of(floors.httpRoundTrip());
        }
        return latencies.stream().filter(l -> l.key().equals(key)).findFirst();
    }

    /** The bandwidth figure with {@code key}, if measured. */
    public java.util.Optional<Bandwidth> bandwidth(String key) {
        if (floors != null && floors.sequentialWrite() != null && floors.sequentialWrite().key().equals(key)) {
            return java.util.Optional.of(floors.sequentialWrite());
        }
        return bandwidths.stream().filter(b -> b.key().equals(key)).findFirst();
    }
}
