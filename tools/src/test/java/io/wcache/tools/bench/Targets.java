package io.wcache.tools.bench;

import io.wcache.tools.bench.BenchResults.Latency;
import io.wcache.tools.bench.BenchResults.TargetCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The targets, each a ratio of two figures measured in the same run (absolute times drift
 * on a shared machine, ratios much less). A target whose inputs were not measured is left out
 * rather than reported as met.
 */
public final class Targets {

    private Targets() {
    }

    public static List<TargetCheck> evaluate(BenchResults r) {
        List<TargetCheck> out = new ArrayList<>();
        Optional<Latency> wb1 = r.latency("put.wb.c1");
        Optional<Latency> wb16 = r.latency("put.wb.c16");
        Optional<Latency> direct1 = r.latency("put.direct.c1");
        Optional<Latency> fsync = r.latency("floor.fsync");
        Optional<Latency> http = r.latency("floor.http");
        if (wb1.isPresent() && direct1.isPresent()) {
            double ratio = wb1.get().p50Ms() / direct1.get().p50Ms();
            out.add(new TargetCheck("10 KiB WRITE_BACK PUT p50 (c=1) no slower than s3proxy PUT p50",
                    ms(wb1.get().p50Ms()), "<= " + ms(direct1.get().p50Ms()), ratio, ratio <= 1.0));
        }
        if (wb1.isPresent() && fsync.isPresent() && http.isPresent()) {
            double floor = fsync.get().p50Ms() + http.get().p50Ms();
            double ratio = wb1.get().p50Ms() / floor;
            out.add(new TargetCheck("10 KiB WRITE_BACK PUT p50 (c=1) within 3x of fsync + loopback RTT p50",
                    ms(wb1.get().p50Ms()), "<= 3 x " + ms(floor), ratio, ratio <= 3.0));
        }
        if (wb1.isPresent()) {
            double ratio = wb1.get().p99Ms() / wb1.get().p50Ms();
            out.add(new TargetCheck("10 KiB WRITE_BACK PUT p99 within 3x of its p50 (c=1)", ms(wb1.get().p99Ms()),
                    "<= 3 x " + ms(wb1.get().p50Ms()), ratio, ratio <= 3.0));
        }
        if (wb1.isPresent() && wb16.isPresent()) {
            double ratio = wb16.get().opsPerSecond() / wb1.get().opsPerSecond();
            out.add(new TargetCheck("10 KiB WRITE_BACK PUT/s at c=16 at least 8x c=1", rate(wb16.get().opsPerSecond()),
                    ">= 8 x " + rate(wb1.get().opsPerSecond()), ratio, ratio >= 8.0));
        }
        Optional<Latency> getCached = r.latency("get.cached");
        Optional<Latency> getDirect = r.latency("get.direct");
        if (getCached.isPresent() && getDirect.isPresent()) {
            double ratio = getCached.get().p50Ms() / getDirect.get().p50Ms();
            out.add(new TargetCheck("GET-after-write p50 no slower than s3proxy GET p50", ms(getCached.get().p50Ms()),
                    "<= " + ms(getDirect.get().p50Ms()), ratio, ratio <= 1.0));
        }
        var large = r.bandwidth("large.wb");
        var disk = r.bandwidth("floor.seq");
        if (large.isPresent() && disk.isPresent()) {
            double ratio = large.get().mbPerSecond() / disk.get().mbPerSecond();
            out.add(new TargetCheck("10 MiB PUT (c=4) at least 80% of sequential fdatasync bandwidth",
                    mbps(large.get().mbPerSecond()), ">= 0.8 x " + mbps(disk.get().mbPerSecond()), ratio, ratio >= 0.8));
        }
        var p = r.persistence();
        if (p != null && p.ufsDirectPutsPerSecond() > 0) {
            double ratio = p.objectsPerSecond() / p.ufsDirectPutsPerSecond();
            out.add(new TargetCheck("persistence at least 90% of the UFS's direct PUT/s at parallelism "
                    + p.parallelism(), rate(p.objectsPerSecond()), ">= 0.9 x " + rate(p.ufsDirectPutsPerSecond()),
                    ratio, ratio >= 0.9 && p.pendingAtEnd() == 0));
        }
        // Issue 19's ratios for large writes: against s3proxy's own 10 MiB PUT rate, and the FUSE write
        // (WRITE_BACK, close commits) against the disk's sequential fdatasync floor.
        var largeDirect = r.bandwidth("large.direct");
        if (large.isPresent() && largeDirect.isPresent()) {
            double ratio = large.get().mbPerSecond() / largeDirect.get().mbPerSecond();
            out.add(new TargetCheck("10 MiB WRITE_BACK PUT MB/s (c=4) at least 1.5x s3proxy's", mbps(large.get().mbPerSecond()),
                    ">= 1.5 x " + mbps(largeDirect.get().mbPerSecond()), ratio, ratio >= 1.5));
        }
        var fuseWrite = r.bandwidth("fuse.write");
        if (fuseWrite.isPresent() && disk.isPresent()) {
            double ratio = fuseWrite.get().mbPerSecond() / disk.get().mbPerSecond();
            out.add(new TargetCheck("FUSE sequential write (WRITE_BACK, close commits) at least 0.5 of the disk's fdatasync floor",
                    mbps(fuseWrite.get().mbPerSecond()), ">= 0.5 x " + mbps(disk.get().mbPerSecond()), ratio, ratio >= 0.5));
        }
        return out;
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, v < 10 ? "%.2f ms" : "%.1f ms", v);
    }

    static String rate(double v) {
        return String.format(Locale.ROOT, "%,.0f/s", v);
    }

    static String mbps(double v) {
        return String.format(Locale.ROOT, "%.0f MB/s", v);
    }
}
