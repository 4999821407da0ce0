package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CpuMeterTest {

    @Test
    void threadsAreAttributedByName() {
        assertThat(CpuMeter.component("wcache-pipeline-1")).isEqualTo("worker");
        assertThat(CpuMeter.component("nioEventLoopGroup-3-1")).isEqualTo("worker");
        assertThat(CpuMeter.component("S3Proxy-Jetty-42")).isEqualTo("ufs");
        assertThat(CpuMeter.component("bench-PUT-10-KiB-WRITE-BACK-3")).isNull();
    }

    @Test
    void threadGroupsAreNamesWithoutTheirNumbersAndTheirCpuIsPerOperation() {
        assertThat(CpuMeter.group("nioEventLoopGroup-3-12")).isEqualTo("nioEventLoopGroup-N-N");
        CpuMeter.Snapshot a = new CpuMeter.Snapshot(0, 0, 0, 0, java.util.Map.of("wcache-hash-N", 1_000_000L));
        CpuMeter.Snapshot b = new CpuMeter.Snapshot(1, 0, 0, 0, java.util.Map.of("wcache-hash-N", 21_000_000L,
                "wcache-io-N", 4_000_000L, "main", 100_000L));
        assertThat(CpuMeter.msPerOpByGroup(a, b, 10, 0.1)).containsExactly(java.util.Map.entry("wcache-hash-N", 2.0),
                java.util.Map.entry("wcache-io-N", 0.4));
    }

    @Test
    void sharesAreCoresOverTheWallTimeAndTheRestIsWhatTheProcessSpentBesides() {
        CpuMeter.Snapshot a = new CpuMeter.Snapshot(0, 0, 0, 0);
        CpuMeter.Snapshot b = new CpuMeter.Snapshot(2_000_000_000L, 3_000_000_000L, 1_000_000_000L, 600_000_000L);
        BenchResults.CpuUse use = CpuMeter.between("k", a, b, 500);
        assertThat(use.workerCores()).isCloseTo(0.5, within(1e-9));
        assertThat(use.ufsCores()).isCloseTo(0.3, within(1e-9));
        assertThat(use.restCores()).isCloseTo(0.7, within(1e-9));
        assertThat(use.msPerOp(use.totalCores())).isCloseTo(3.0, within(1e-9));
    }

    @Test
    void aBusyWorkerThreadShowsUpAsWorkerCpu() throws Exception {
        CpuMeter meter = new CpuMeter();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.concurrent.CountDownLatch burnt = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CpuMeter.Snapshot before = meter.snapshot();
        Thread burner = new Thread(() -> {
            long x = 0;
            while (mx.getCurrentThreadCpuTime() < 150_000_000L) {
                x += Long.numberOfTrailingZeros(x + System.nanoTime());
            }
            burnt.countDown();
            try {
                release.await(); // stays alive: a finished thread's CPU time can no longer be read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wcache-test-burner");
        burner.start();
        assertThat(burnt.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        CpuMeter.Snapshot after = meter.snapshot();
        release.countDown();
        burner.join();
        assertThat(after.workerNanos() - before.workerNanos()).isGreaterThanOrEqualTo(150_000_000L);
        assertThat(after.processNanos() - before.processNanos()).isGreaterThanOrEqualTo(150_000_000L);
    }
}
