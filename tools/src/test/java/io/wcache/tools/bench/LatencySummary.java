package io.wcache.tools.bench;

import org.HdrHistogram.Histogram;

/**
 * What one measured run of an operation amounts to: completed and failed operations in the
 * measured window, its length, throughput, and latency percentiles in milliseconds. The
 * histogram (microseconds) is kept for charts of the whole distribution.
 *
 * @param name        what was measured, e.g. {@code PUT 10 KiB WRITE_BACK}
 * @param concurrency operations in flight at once (closed loop: one per client thread)
 * @param ops         operations that completed successfully inside the measured window
 * @param errors      operations that failed inside the measured window
 * @param seconds     length of the measured window
 * @param firstError  the first failure's message, or {@code null}
 * @param histogram   latencies in microseconds
 */
public record LatencySummary(String name, int concurrency, long ops, long errors, double seconds, String firstError,
                             Histogram histogram) {

    public double opsPerSecond() {
        return seconds <= 0 ? 0 : ops / seconds;
    }

    public double p50Ms() {
        return percentileMs(50);
    }

    public double p99Ms() {
        return percentileMs(99);
    }

    public double percentileMs(double percentile) {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    public double meanMs() {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMean() / 1000.0;
    }

    public double maxMs() {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMaxValue() / 1000.0;
    }

    /** Throughput in MB/s (10^6 bytes) for operations of {@code bytesPerOp} bytes each. */
    public double megabytesPerSecond(long bytesPerOp) {
        return opsPerSecond() * bytesPerOp / 1e6;
    }

    /** A fresh histogram covering 1 µs to one hour with three significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(3_600_000_000L, 3);
    }
}
