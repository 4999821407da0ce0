package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {

    @Test
    void writesTableJsonAndEveryChartAsPng(@TempDir Path dir) throws Exception {
        BenchResults base = SyntheticResults.sample();
        BenchResults r = new BenchResults(base.startedAt(), base.command(), base.machine(), base.settings(),
                base.floors(), base.latencies(), base.bandwidths(), base.persistence(), Targets.evaluate(base),
                base.notes(), base.cpu());
        String table = BenchReport.write(r, dir);

        assertThat(table).contains("| put.wb.c1 | 1 | 2.00 | 5.00 | 500/s | s3proxy p50 4.00 ms | 0.50 | 3–5 ms |");
        assertThat(table).contains("| get.cached.tr | 1 | 1.20 | 2.50 | 350/s | s3proxy GET p50 ");
        assertThat(table).contains("| put.wb.c16 | 0.90 | 0.60 | 0.40 | 1.90 | 1.80 | 3.80 |");
        assertThat(table).contains("| put.tr.c1 | 1 | 1.00 | 3.00 | 1,000/s | s3proxy p50 4.00 ms | 0.25 |  |");
        assertThat(table).contains("≈2,000/s per worker").contains("S3: 30–60 ms").contains("**no**");
        // 3,000 uploads pending when the PUTs ended (at 2.5 s), all done at 5.56 s: 980/s, 0.98 of s3proxy's 1,000/s
        assertThat(table).contains("| persistence after the PUTs ended: 3,000 uploads then pending, drained | 16 |  |  | 980/s | "
                + "s3proxy direct PUT 1,000/s at c=16 | 0.98 |");
        assertThat(Files.readString(dir.resolve(BenchReport.TABLE))).isEqualTo(table);

        JsonNode json = new ObjectMapper().readTree(dir.resolve(BenchReport.JSON).toFile());
        assertThat(json.get("latencies")).hasSize(14);
        assertThat(json.get("persistence").get("objectsPerSecond").asDouble()).isEqualTo(900);
        assertThat(json.get("targets")).hasSize(9);

        for (String chart : BenchReport.CHARTS) {
            Path png = dir.resolve(chart);
            byte[] head = Files.readAllBytes(png);
            assertThat(head.length).as(chart).isGreaterThan(5_000);
            assertThat(List.of(head[1], head[2], head[3])).as(chart).containsExactly((byte) 'P', (byte) 'N', (byte) 'G');
        }
    }

    @Test
    void theCpuBudgetOfEachTargetIsWhatTheDirectRunsCoresAllowLessWhatTheRestSpent() {
        BenchResults base = SyntheticResults.sample();
        List<BenchResults.CpuUse> cpu = List.of(
                // s3proxy direct: 1.9 cores at 2,000/s; 0.9 of that rate allows 1.056 ms per object in all,
                // and the client and s3proxy took 1.1 of it in the worker's run: nothing left for the worker.
                new BenchResults.CpuUse("persistence", 5, 0.8, 0.6, 0.5, 1000),
                new BenchResults.CpuUse("persist.direct", 4, 0.0, 0.9, 1.0, 2000),
                // 2 cores at 20 PUT/s direct; 1.5 x that allows 66.667 ms per PUT, 30 of it outside the worker.
                new BenchResults.CpuUse("large.wb", 5, 1.2, 0.0, 0.6, 20),
                new BenchResults.CpuUse("large.direct", 5, 0.0, 1.4, 0.6, 20),
                new BenchResults.CpuUse("put.wb.c16", 4, 0.9, 0.6, 0.4, 1000),
                new BenchResults.CpuUse("put.direct.c16", 4, 0.0, 1.0, 0.8, 2500));
        BenchResults r = new BenchResults(base.startedAt(), base.command(), base.machine(), base.settings(),
                base.floors(), base.latencies(), base.bandwidths(), base.persistence(), List.of(), List.of(), cpu);

        String table = BenchReport.budgetTable(r);
        assertThat(table).contains("| persistence >= 0.9 x s3proxy direct (c=16) | 1.056 | 1.100 | -0.044 | 0.800 | no budget |");
        assertThat(table).contains("| 10 MiB PUT MB/s >= 1.5 x s3proxy (c=4) | 66.667 | 30.000 | 36.667 | 60.000 | 1.64 |");
        assertThat(table).contains("| worker CPU per WRITE_BACK PUT <= s3proxy's per PUT (c=16) | — | — | 0.400 | 0.900 | 2.25 |");
        assertThat(BenchReport.table(r)).contains(table);
        assertThat(BenchReport.budgetTable(new BenchResults(base.startedAt(), base.command(), base.machine(),
                base.settings(), null, List.of(), List.of(), null, List.of(), List.of(), List.of()))).isEmpty();
    }

    @Test
    void chartsAreStillWrittenWhenPhasesAreMissing(@TempDir Path dir) throws Exception {
        BenchResults base = SyntheticResults.sample();
        BenchResults r = new BenchResults(base.startedAt(), base.command(), base.machine(), base.settings(), null,
                List.of(), List.of(), null, List.of(), List.of(), List.of());
        BenchReport.write(r, dir);
        for (String chart : BenchReport.CHARTS) {
            assertThat(dir.resolve(chart)).exists();
        }
    }
}
