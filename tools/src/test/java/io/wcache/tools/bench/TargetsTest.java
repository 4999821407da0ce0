package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.tools.bench.BenchResults.TargetCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsTest {

    @Test
    void eachTargetComparesTheRightFiguresAndSaysWhetherItHeld() {
        BenchResults r = SyntheticResults.sample();
        List<TargetCheck> checks = Targets.evaluate(r);
        assertThat(checks).hasSize(9);
        // WRITE_BACK p50 2.0 ms vs s3proxy 4.0 ms: met, ratio 0.5.
        assertThat(checks.get(0).ratio()).isEqualTo(0.5);
        assertThat(checks.get(0).met()).isTrue();
        // 2.0 ms vs (0.5 + 0.1) floor: 3.33x, missed.
        assertThat(checks.get(1).ratio()).isCloseTo(3.333, org.assertj.core.data.Offset.offset(0.01));
        assertThat(checks.get(1).met()).isFalse();
        // p99 5.0 / p50 2.0 = 2.5: met.
        assertThat(checks.get(2).met()).isTrue();
        // 16 clients 4,000/s vs 1 client 500/s = 8x: met at the boundary.
        assertThat(checks.get(3).ratio()).isEqualTo(8.0);
        assertThat(checks.get(3).met()).isTrue();
        // GET 1.5 ms vs s3proxy 3.0 ms.
        assertThat(checks.get(4).met()).isTrue();
        // 10 MiB 150 MB/s vs disk 200 MB/s = 0.75: missed.
        assertThat(checks.get(5).met()).isFalse();
        // Persistence 900/s vs 1,000/s direct = 0.9: met.
        assertThat(checks.get(6).met()).isTrue();
        // 10 MiB 150 MB/s vs s3proxy 120 MB/s = 1.25: missed (1.5 asked).
        assertThat(checks.get(7).ratio()).isEqualTo(1.25);
        assertThat(checks.get(7).met()).isFalse();
        // FUSE 180 MB/s vs disk 200 MB/s = 0.9: met.
        assertThat(checks.get(8).ratio()).isEqualTo(0.9);
        assertThat(checks.get(8).met()).isTrue();
    }

    @Test
    void targetsWhoseInputsWereNotMeasuredAreLeftOutNotPassed() {
        BenchResults r = SyntheticResults.sample();
        BenchResults partial = new BenchResults(r.startedAt(), r.command(), r.machine(), r.settings(), null,
                r.latencies().stream().filter(l -> !l.key().equals("put.direct.c1")).toList(), List.of(), null,
                List.of(), List.of(), List.of());
        List<TargetCheck> checks = Targets.evaluate(partial);
        assertThat(checks).extracting(TargetCheck::target)
                .noneMatch(t -> t.contains("s3proxy PUT") || t.contains("fsync") || t.contains("bandwidth")
                        || t.contains("persistence"));
        assertThat(checks).hasSize(3);
    }
}
