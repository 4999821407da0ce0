package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class StageTimesTest {

    private static String scrape(String stage, double le1, double le2, double le4, double inf) {
        return "# TYPE wcache_stage_seconds histogram\n"
                + "wcache_stage_seconds_bucket{stage=\"" + stage + "\",le=\"0.001\"} " + le1 + "\n"
                + "wcache_stage_seconds_bucket{stage=\"" + stage + "\",le=\"0.002\"} " + le2 + "\n"
                + "wcache_stage_seconds_bucket{stage=\"" + stage + "\",le=\"0.004\"} " + le4 + "\n"
                + "wcache_stage_seconds_bucket{stage=\"" + stage + "\",le=\"+Inf\"} " + inf + "\n"
                + "wcache_stage_seconds_count{stage=\"" + stage + "\"} " + inf + "\n";
    }

    @Test
    void aRunsQuantilesComeFromTheDifferenceOfTheBucketsInterpolatedWithinOne() {
        // Before the run: 10 observations under 1 ms. During it: 100 more, 50 in (1, 2] ms, 50 in (2, 4] ms.
        StageTimes.Scrape before = StageTimes.parse(scrape("log.sync", 10, 10, 10, 10));
        StageTimes.Scrape after = StageTimes.parse(scrape("log.sync", 10, 60, 110, 110) + scrape("s3.parse", 3, 3, 3, 3));
        List<BenchResults.StageLatency> run = StageTimes.between(before, after);
        // s3.parse has no previous scrape: all 3 observations fall in the run.
        assertThat(run).extracting(BenchResults.StageLatency::stage).containsExactly("log.sync", "s3.parse");
        BenchResults.StageLatency sync = run.get(0);
        assertThat(sync.count()).isEqualTo(100);
        assertThat(sync.p50Ms()).isCloseTo(2.0, within(1e-9));
        assertThat(sync.p99Ms()).isCloseTo(2 + 2 * 49.0 / 50, within(1e-9));
        assertThat(run.get(1).p50Ms()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void aStageThatCountedNothingInTheRunIsLeftOut() {
        StageTimes.Scrape s = StageTimes.parse(scrape("upload.ufs", 1, 2, 3, 3));
        assertThat(StageTimes.between(s, s)).isEmpty();
    }

    @Test
    void theReportHasOneRowPerStageAndOneColumnPerRun() {
        BenchResults base = SyntheticResults.sample();
        BenchResults r = new BenchResults(base.startedAt(), base.command(), base.machine(), base.settings(), base.floors(),
                base.latencies(), base.bandwidths(), base.persistence(), base.targets(), base.notes(), base.cpu(),
                List.of(new BenchResults.StageRun("put.wb.c1", List.of(new BenchResults.StageLatency("log.sync", 9, 0.25, 1.5))),
                        new BenchResults.StageRun("put.tr.c1", List.of(new BenchResults.StageLatency("s3.parse", 9, 0.01, 0.02)))));
        String table = BenchReport.stageTable(r);
        assertThat(table).contains("| stage (worker /metrics), p50 / p99 ms | put.wb.c1 | put.tr.c1 |")
                .contains("| log.sync | 0.250 / 1.50 | |")
                .contains("| s3.parse | | 0.010 / 0.020 |");
        assertThat(BenchReport.stageTable(base)).isEmpty();
    }
}
