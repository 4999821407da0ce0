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

    private static CpuMeter.Snapshot at(long wall, long process, Object... idNameNanos) {
        java.util.Map<Long, CpuMeter.ThreadCpu> threads = new java.util.HashMap<>();
        for (int i = 0; i < idNameNanos.length; i += 3) {
            threads.put(((Number) idNameNanos[i]).longValue(),
                    new CpuMeter.ThreadCpu((String) idNameNanos[i + 1], ((Number) idNameNanos[i + 2]).longValue()));
        }
        return new CpuMeter.Snapshot(wall, process, threads);
    }

    @Test
    void threadGroupsAreNamesWithoutTheirNumbersAndTheirCpuIsPerOperation() {
        assertThat(CpuMeter.group("nioEventLoopGroup-3-12")).isEqualTo("nioEventLoopGroup-N-N");
        CpuMeter.Snapshot a = at(0, 0, 1L, "wcache-hash-1", 1_000_000L);
        CpuMeter.Snapshot b = at(1, 0, 1L, "wcache-hash-1", 11_000_000L, 2L, "wcache-hash-2", 10_000_000L,
                3L, "wcache-io-1", 4_000_000L, 4L, "main", 100_000L);
        assertThat(CpuMeter.msPerOpByGroup(a, b, 10, 0.1)).containsExactly(java.util.Map.entry("wcache-hash-N", 2.0),
                java.util.Map.entry("wcache-io-N", 0.4));
    }

    @Test
    void sharesAreCoresOverTheWallTimeAndTheRestIsWhatTheProcessSpentBesides() {
        CpuMeter.Snapshot a = at(0, 0);
        CpuMeter.Snapshot b = at(2_000_000_000L, 3_000_000_000L, 1L, "wcache-pipeline-1", 1_000_000_000L,
                2L, "S3Proxy-Jetty-7", 600_000_000L);
        BenchResults.CpuUse use = CpuMeter.between("k", a, b, 500);
        assertThat(use.workerCores()).isCloseTo(0.5, within(1e-9));
        assertThat(use.ufsCores()).isCloseTo(0.3, within(1e-9));
        assertThat(use.restCores()).isCloseTo(0.7, within(1e-9));
        assertThat(use.msPerOp(use.totalCores())).isCloseTo(3.0, within(1e-9));
    }

    @Test
    void aThreadThatEndsDuringTheRunDoesNotTakeItsLifetimesCpuOffItsComponent() {
        // s3proxy's pool thread 2 had run 9 s before the run and ended during it; thread 3 spent 0.4 s in it.
        CpuMeter.Snapshot a = at(0, 20_000_000_000L, 1L, "wcache-pipeline-1", 5_000_000_000L,
                2L, "S3Proxy-Jetty-2", 9_000_000_000L, 3L, "S3Proxy-Jetty-3", 1_000_000_000L);
        CpuMeter.Snapshot b = at(1_000_000_000L, 21_500_000_000L, 1L, "wcache-pipeline-1", 5_600_000_000L,
                3L, "S3Proxy-Jetty-3", 1_400_000_000L);
        BenchResults.CpuUse use = CpuMeter.between("k", a, b, 100);
        assertThat(use.workerCores()).isCloseTo(0.6, within(1e-9));
        assertThat(use.ufsCores()).isCloseTo(0.4, within(1e-9));
        // What the ended thread spent in the run is in the process's figure, so in the rest.
        assertThat(use.restCores()).isCloseTo(0.5, within(1e-9));
        // A new thread with a recycled id is a new thread: all its CPU counts.
        CpuMeter.Snapshot c = at(2_000_000_000L, 22_000_000_000L, 2L, "S3Proxy-Jetty-9", 300_000_000L);
        assertThat(CpuMeter.spentBetween(a, c, CpuMeter::component)).containsEntry("ufs", 300_000_000L);
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
        assertThat(CpuMeter.workerNanos(before, after)).isGreaterThanOrEqualTo(150_000_000L);
        assertThat(after.processNanos() - before.processNanos()).isGreaterThanOrEqualTo(150_000_000L);
    }
}
