package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClosedLoopTest {

    @Test
    void maxOpsEndsTheMeasuredWindowAtExactlyThatCount() throws Exception {
        LatencySummary s = ClosedLoop.run("noop", 4, Duration.ZERO, Duration.ofSeconds(30), 500, seq -> { });
        assertThat(s.ops()).isEqualTo(500);
        assertThat(s.errors()).isZero();
        assertThat(s.seconds()).isLessThan(30);
    }

    @Test
    void failuresAreCountedApartFromTheLatencies() throws Exception {
        LatencySummary s = ClosedLoop.run("every third fails", 2, Duration.ZERO, Duration.ofSeconds(30), 300, seq -> {
            if (seq % 3 == 0) {
                throw new IllegalStateException("boom " + seq);
            }
        });
        assertThat(s.ops() + s.errors()).isEqualTo(300);
        assertThat(s.errors()).isBetween(90L, 110L);
        assertThat(s.firstError()).contains("boom");
        assertThat(s.histogram().getTotalCount()).isEqualTo(s.ops());
    }

    @Test
    void partlyTimedOperationsRecordOnlyTheReportedPart() throws Exception {
        LatencySummary s = ClosedLoop.runPartlyTimed("sleep 20 ms, report 1 ms", 1, Duration.ZERO,
                Duration.ofMillis(200), 0, seq -> {
                    Thread.sleep(20);
                    return 1_000_000L;
                });
        assertThat(s.ops()).isGreaterThan(0);
        assertThat(s.p50Ms()).isBetween(0.99, 1.01);
        assertThat(s.p99Ms()).isBetween(0.99, 1.01);
        // Throughput still counts the whole call: at most one 20 ms operation at a time.
        assertThat(s.opsPerSecond()).isLessThan(55);
    }

    @Test
    void operationsDuringWarmUpAreNotRecorded() throws Exception {
        AtomicLong calls = new AtomicLong();
        LatencySummary s = ClosedLoop.run("warm", 1, Duration.ofMillis(150), Duration.ofMillis(50), 0, seq -> {
            calls.incrementAndGet();
            Thread.sleep(2);
        });
        assertThat(calls.get()).isGreaterThan(s.ops());
        assertThat(s.p50Ms()).isGreaterThanOrEqualTo(2.0);
    }
}
