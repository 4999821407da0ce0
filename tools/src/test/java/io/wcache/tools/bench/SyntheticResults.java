package io.wcache.tools.bench;

import io.wcache.tools.bench.BenchResults.Bandwidth;
import io.wcache.tools.bench.BenchResults.Latency;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Hand-made results with round numbers, for checking the targets and the report without a run. */
final class SyntheticResults {

    private SyntheticResults() {
    }

    static Latency latency(String key, int c, double p50, double p99, double opsPerSecond) {
        return new Latency(key, key, c, 100, 0, 1, opsPerSecond, p50, p50 * 1.5, p99, p99 * 1.2, p99 * 2, p50 * 1.1,
                null, Map.of(10.0, p50 * 0.8, 50.0, p50, 90.0, p50 * 1.5, 99.0, p99, 99.9, p99 * 1.2));
    }

    static BenchResults sample() {
        List<Latency> l = new ArrayList<>();
        l.add(latency("put.direct.c1", 1, 4.0, 9.0, 250));
        l.add(latency("put.wt.c1", 1, 6.0, 12.0, 160));
        l.add(latency("put.wb.c1", 1, 2.0, 5.0, 500));
        l.add(latency("put.tr.c1", 1, 1.0, 3.0, 1000));
        l.add(latency("put.direct.c16", 16, 20.0, 60.0, 800));
        l.add(latency("put.wt.c16", 16, 25.0, 70.0, 640));
        l.add(latency("put.wb.c16", 16, 4.0, 9.0, 4000));
        l.add(latency("put.direct.c64", 64, 80.0, 200.0, 800));
        l.add(latency("put.wt.c64", 64, 90.0, 220.0, 700));
        l.add(latency("put.wb.c64", 64, 12.0, 30.0, 5300));
        l.add(latency("get.cached", 1, 1.5, 3.0, 300));
        l.add(latency("get.cached.tr", 1, 1.2, 2.5, 350));
        l.add(latency("get.cold", 1, 5.0, 10.0, 200));
        l.add(latency("get.direct", 1, 3.0, 6.0, 250));
        BenchResults.Floors floors = new BenchResults.Floors(latency("floor.fsync", 1, 0.5, 2.0, 2000),
                new Bandwidth("floor.seq", "floor: sequential write", 200, 128 << 20, 0.67, 1, 0, ""),
                latency("floor.http", 1, 0.1, 0.3, 10000));
        List<Bandwidth> b = List.of(new Bandwidth("large.wb", "PUT 10 MiB WRITE_BACK", 150, 1 << 30, 7, 4, 0, ""),
                new Bandwidth("large.direct", "PUT 10 MiB s3proxy", 120, 1 << 30, 9, 4, 0, ""),
                new Bandwidth("fuse.write", "FUSE write", 180, 1 << 30, 6, 1, 0, ""),
                new Bandwidth("fuse.read", "FUSE read", 400, 1 << 30, 2.7, 1, 0, ""));
        BenchResults.Persistence p = new BenchResults.Persistence(5000, 2.5, 5.56, 900, 1000, 16, 0, 5000, 0, 3000);
        return new BenchResults("2026-11-22T04:00:00Z", "test", new BenchResults.Machine(2, 24L << 30, "Linux", "17",
                "1.0", "1.0", "tmp"), new BenchResults.Settings(3, 1, 10240, 10 << 20, 4, 5000, 16, 16, 1L << 30), floors,
                l, b, p, List.of(), List.of("a note"),
                List.of(new BenchResults.CpuUse("put.wb.c16", 4, 0.9, 0.6, 0.4, 500)));
    }
}
