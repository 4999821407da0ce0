package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.tools.bench.BenchResults.Latency;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The options that select what a run measures, and the medians reported over rounds. */
class EndToEndBenchmarkOptionsTest {

    private static String rejected(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new EndToEndBenchmark());
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as("exit code of " + String.join(" ", args)).isEqualTo(2);
        return err.toString();
    }

    @Test
    void unknownPhasesTargetsAndRoundCountsAreRefusedBeforeAnythingStarts() {
        assertThat(rejected("--phases", "small,fsync")).contains("unknown phase 'fsync'").contains("small, get");
        assertThat(rejected("--put-targets", "wb,s3")).contains("unknown target 's3'");
        assertThat(rejected("--rounds", "0")).contains("--rounds must be at least 1");
    }

    @Test
    void selectedPhasesAndTargetsAreParsed() {
        EndToEndBenchmark b = new EndToEndBenchmark();
        new CommandLine(b).parseArgs("--phases", "warmup,small", "--put-targets", "direct,tr", "--rounds", "3",
                "--concurrency", "1");
        assertThat(b.phases).containsExactly("warmup", "small");
        assertThat(b.putTargets).containsExactly("direct", "tr");
        assertThat(b.rounds).isEqualTo(3);
        EndToEndBenchmark all = new EndToEndBenchmark();
        new CommandLine(all).parseArgs();
        assertThat(all.phases).containsExactlyElementsOf(EndToEndBenchmark.PHASES);
        assertThat(all.putTargets).containsExactlyElementsOf(EndToEndBenchmark.PUT_TARGETS);
    }

    private static Latency lat(String key, double p50) {
        return new Latency(key, key, 1, 100, 0, 1, 100, p50, p50, 2 * p50, 2 * p50, 3 * p50, p50, null, Map.of());
    }

    @Test
    void roundMediansPairEachWorkerRoundWithS3proxysRound() {
        List<String> lines = EndToEndBenchmark.roundMedians(List.of(
                lat("put.direct.c1", 1.0), lat("put.tr.c1", 3.0),
                lat("put.direct.c1.r2", 2.0), lat("put.tr.c1.r2", 2.0),
                lat("put.direct.c1.r3", 4.0), lat("put.tr.c1.r3", 4.0),
                lat("get.cold", 9.0)));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("median of 3 rounds: put.direct.c1").contains("p50 2.000 ms")
                .doesNotContain("same round");
        // Ratios per round: 3.0, 1.0, 1.0 -> median 1.00, though the medians of p50 alone give 3.0 / 2.0.
        assertThat(lines.get(1)).contains("put.tr.c1").contains("p50 3.000 ms")
                .contains("median 1.00 (3.00, 1.00, 1.00)");
        assertThat(EndToEndBenchmark.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    }

    @Test
    void theJitWarmUpGoesOnWhileTheCompilersAreBusyUpToItsLongest() {
        // Passes of 16 s; settled below 5 % of a pass; at most 240 s.
        assertThat(EndToEndBenchmark.warmUpEnds(23.6, 16, 16, 0.05, 240)).as("compilers busier than a core").isFalse();
        assertThat(EndToEndBenchmark.warmUpEnds(1.4, 16, 128, 0.05, 240)).as("9 %% busy").isFalse();
        assertThat(EndToEndBenchmark.warmUpEnds(0.2, 16, 144, 0.05, 240)).as("2 %% busy: settled").isTrue();
        assertThat(EndToEndBenchmark.warmUpEnds(10, 16, 230, 0.05, 240)).as("the next pass would end past 240 s").isTrue();
        assertThat(EndToEndBenchmark.warmUpEnds(10, 16, 16, 0.05, 0)).as("--jit-warmup-max 0: one pass").isTrue();
        EndToEndBenchmark defaults = new EndToEndBenchmark();
        new CommandLine(defaults).parseArgs();
        assertThat(defaults.jitWarmupMax).as("default").isEqualTo(240);
    }
}
