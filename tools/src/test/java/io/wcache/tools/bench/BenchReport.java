package io.wcache.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wcache.tools.bench.BenchResults.Bandwidth;
import io.wcache.tools.bench.BenchResults.Latency;
import io.wcache.tools.bench.BenchResults.TargetCheck;
import java.awt.BasicStroke;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns {@link BenchResults} into what people read: a Markdown table (printed and saved as
 * {@code results.md}), {@code results.json}, and PNG charts: latency distributions, PUT latency
 * and throughput by concurrency, and bandwidth and persistence against their floors. The published
 * figures of the closed product sit in the table's last column for comparison.
 */
public final class BenchReport {

    /** Files written for one run, relative to the run directory. */
    public static final String JSON = "results.json";
    public static final String TABLE = "results.md";
    public static final List<String> CHARTS = List.of("latency-distribution.png", "put-latency.png",
            "put-throughput.png", "bandwidth.png", "persistence.png");

    private static final String[] TARGETS = {"direct", "wt", "wb", "tr"};
    private static final Map<String, String> TARGET_NAMES = Map.of("direct", "s3proxy direct (UFS)", "wt",
            "WRITE_THROUGH", "wb", "WRITE_BACK", "tr", "TRANSIENT (no UFS work)");
    private static final int[] CONCURRENCY = {1, 16, 64};

    private BenchReport() {
    }

    /** Writes the JSON, the table and the charts into {@code dir}; returns the table. */
    public static String write(BenchResults r, Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve(JSON).toFile(), r);
        String table = table(r);
        Files.writeString(dir.resolve(TABLE), table);
        charts(r, dir);
        return table;
    }

    /** The results as Markdown: the measurements, then the targets, then notes. */
    public static String table(BenchResults r) {
        StringBuilder sb = new StringBuilder();
        sb.append("| measurement | c | p50 ms | p99 ms | rate | baseline (same run) | ratio | closed product |\n");
        sb.append("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |\n");
        var floors = r.floors();
        if (floors != null) {
            latencyRow(sb, floors.fsync(), null, "—");
            bandwidthRow(sb, floors.sequentialWrite(), null, "—");
            latencyRow(sb, floors.httpRoundTrip(), null, "—");
        }
        double floor = r.latency("floor.fsync").map(Latency::p50Ms).orElse(Double.NaN)
                + r.latency("floor.http").map(Latency::p50Ms).orElse(Double.NaN);
        for (int c : CONCURRENCY) {
            for (String t : TARGETS) {
                Optional<Latency> l = r.latency("put." + t + ".c" + c);
                if (l.isEmpty()) {
                    continue;
                }
                String ref = switch (t) {
                    case "direct" -> "S3: 30–60 ms";
                    case "tr" -> "";
                    default -> c == 1 ? "3–5 ms" : "4–9 ms (medium)";
                };
                Optional<Latency> base = t.equals("direct") ? Optional.empty() : r.latency("put.direct.c" + c);
                String baseText = base.map(b -> "s3proxy p50 " + Targets.ms(b.p50Ms())).orElse(
                        t.equals("direct") && c == 1 && !Double.isNaN(floor) ? "fsync+RTT p50 " + Targets.ms(floor) : "—");
                double ratio = base.map(b -> l.get().p50Ms() / b.p50Ms())
                        .orElse(t.equals("direct") && c == 1 ? l.get().p50Ms() / floor : Double.NaN);
                row(sb, l.get().name(), c, l.get().p50Ms(), l.get().p99Ms(), Targets.rate(l.get().opsPerSecond()),
                        baseText, ratio, ref, l.get().errors());
            }
            if (c == 1) {
                r.latency("put.wb.c1").ifPresent(wb -> {
                    if (!Double.isNaN(floor)) {
                        row(sb, "PUT 10 KiB WRITE_BACK vs floor", 1, wb.p50Ms(), Double.NaN, "",
                                "fsync+RTT p50 " + Targets.ms(floor), wb.p50Ms() / floor, "", 0);
                    }
                });
            }
        }
        Optional<Latency> getDirect = r.latency("get.direct");
        for (String key : new String[] {"get.cached", "get.cached.tr", "get.cold", "get.direct"}) {
            r.latency(key).ifPresent(l -> {
                boolean ours = !key.equals("get.direct");
                row(sb, l.name(), l.concurrency(), l.p50Ms(), l.p99Ms(), Targets.rate(l.opsPerSecond()),
                        ours ? getDirect.map(d -> "s3proxy GET p50 " + Targets.ms(d.p50Ms())).orElse("—") : "—",
                        ours ? getDirect.map(d -> l.p50Ms() / d.p50Ms()).orElse(Double.NaN) : Double.NaN,
                        key.equals("get.cached") ? "3–7 ms" : "", l.errors());
            });
        }
        Optional<Bandwidth> disk = r.bandwidth("floor.seq");
        for (String key : new String[] {"large.wb", "large.direct", "fuse.write", "fuse.read"}) {
            r.bandwidth(key).ifPresent(b -> bandwidthRow(sb, b, disk.orElse(null), ""));
        }
        var p = r.persistence();
        if (p != null) {
            row(sb, String.format(Locale.ROOT, "persistence: %,d × 10 KiB WRITE_BACK, first PUT to all PERSISTED",
                    p.objects()), p.parallelism(), Double.NaN, Double.NaN, Targets.rate(p.objectsPerSecond()),
                    "s3proxy direct PUT " + Targets.rate(p.ufsDirectPutsPerSecond()) + " at c=" + p.parallelism(),
                    p.objectsPerSecond() / p.ufsDirectPutsPerSecond(), "≈2,000/s per worker", 0);
            if (p.drainPerSecond() > 0) {
                row(sb, String.format(Locale.ROOT, "persistence after the PUTs ended: %,d uploads then pending, drained",
                        p.pendingAfterPuts() - p.pendingAtEnd()), p.parallelism(), Double.NaN, Double.NaN,
                        Targets.rate(p.drainPerSecond()),
                        "s3proxy direct PUT " + Targets.rate(p.ufsDirectPutsPerSecond()) + " at c=" + p.parallelism(),
                        p.drainPerSecond() / p.ufsDirectPutsPerSecond(), "", 0);
            }
        }
        if (r.cpu() != null && !r.cpu().isEmpty()) {
            sb.append("\n| CPU during run | worker cores | s3proxy cores | rest (clients, JIT, GC) | total cores"
                    + " | worker ms CPU/op | total ms CPU/op |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (BenchResults.CpuUse c : r.cpu()) {
                sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", c.key(),
                        c.workerCores(), c.ufsCores(), c.restCores(), c.totalCores(), c.msPerOp(c.workerCores()),
                        c.msPerOp(c.totalCores())));
            }
        }
        sb.append(budgetTable(r));
        sb.append(stageTable(r));
        if (!r.targets().isEmpty()) {
            sb.append("\n| target | measured | limit | ratio | met |\n| --- | ---: | ---: | ---: | --- |\n");
            for (TargetCheck t : r.targets()) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %s |%n", t.target(), t.measured(),
                        t.limit(), t.ratio(), t.met() ? "yes" : "**no**"));
            }
        }
        if (!r.notes().isEmpty()) {
            sb.append('\n');
            for (String n : r.notes()) {
                sb.append("- ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * The worker's CPU budget for each CPU-bound target, from this run's own figures: the machine's
     * CPU per operation the target allows (the cores s3proxy's direct run kept busy, over the rate
     * the target asks), less what the client, s3proxy and the JVM spent per operation in the
     * worker's run, is what the worker itself may spend; beside it what it did spend. A budget at or
     * under zero means no worker could meet the target on these cores with this client and store.
     * For the CPU row the budget is s3proxy's own CPU per direct PUT. Empty without CPU figures.
     */
    static String budgetTable(BenchResults r) {
        Map<String, BenchResults.CpuUse> cpu = new java.util.HashMap<>();
        if (r.cpu() != null) {
            r.cpu().forEach(c -> cpu.put(c.key(), c));
        }
        StringBuilder rows = new StringBuilder();
        budgetRow(rows, "persistence >= 0.9 x s3proxy direct (c=16)", cpu.get("persistence"), cpu.get("persist.direct"), 0.9);
        budgetRow(rows, "10 MiB PUT MB/s >= 1.5 x s3proxy (c=4)", cpu.get("large.wb"), cpu.get("large.direct"), 1.5);
        for (int c : CONCURRENCY) {
            BenchResults.CpuUse wb = cpu.get("put.wb.c" + c);
            BenchResults.CpuUse direct = cpu.get("put.direct.c" + c);
            if (wb != null && direct != null && wb.opsPerSecond() > 0 && direct.opsPerSecond() > 0) {
                double budget = direct.msPerOp(direct.ufsCores());
                double spent = wb.msPerOp(wb.workerCores());
                rows.append(String.format(Locale.ROOT, "| worker CPU per WRITE_BACK PUT <= s3proxy's per PUT (c=%d) | — | — | %.3f | %.3f | %.2f |%n",
                        c, budget, spent, spent / budget));
            }
        }
        if (rows.length() == 0) {
            return "";
        }
        return "\n| CPU budget (ms per op) | the target allows, all CPU | spent outside the worker | worker budget | worker spent"
                + " | spent / budget |\n| --- | ---: | ---: | ---: | ---: | ---: |\n" + rows;
    }

    private static void budgetRow(StringBuilder rows, String name, BenchResults.CpuUse worker, BenchResults.CpuUse direct,
                                  double factor) {
        if (worker == null || direct == null || worker.opsPerSecond() <= 0 || direct.opsPerSecond() <= 0) {
            return;
        }
        double allowed = direct.totalCores() * 1000 / (factor * direct.opsPerSecond());
        double outside = worker.msPerOp(worker.ufsCores() + worker.restCores());
        double budget = allowed - outside;
        double spent = worker.msPerOp(worker.workerCores());
        rows.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %s |%n", name, allowed, outside, budget,
                spent, budget > 0 ? String.format(Locale.ROOT, "%.2f", spent / budget) : "no budget"));
    }

    /**
     * Per-stage p50 / p99 of the worker in each PUT run (from its {@code /metrics} histograms): one
     * row per stage, one column pair per run. Empty when no stage was read.
     */
    static String stageTable(BenchResults r) {
        if (r.stages() == null || r.stages().isEmpty()) {
            return "";
        }
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        r.stages().forEach(run -> run.stages().forEach(s -> names.add(s.stage())));
        StringBuilder sb = new StringBuilder("\n| stage (worker /metrics), p50 / p99 ms |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (BenchResults.StageRun run : r.stages()) {
            sb.append(' ').append(run.key()).append(" |");
            rule.append(" ---: |");
        }
        sb.append('\n').append(rule).append('\n');
        for (String name : names) {
            sb.append("| ").append(name).append(" |");
            for (BenchResults.StageRun run : r.stages()) {
                var s = run.stages().stream().filter(x -> x.stage().equals(name)).findFirst();
                sb.append(s.map(x -> String.format(Locale.ROOT, " %s / %s |", stageNum(x.p50Ms()), stageNum(x.p99Ms())))
                        .orElse(" |"));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void latencyRow(StringBuilder sb, Latency l, String baseline, String ref) {
        if (l != null) {
            row(sb, l.name(), l.concurrency(), l.p50Ms(), l.p99Ms(), Targets.rate(l.opsPerSecond()),
                    baseline == null ? "—" : baseline, Double.NaN, ref, l.errors());
        }
    }

    private static void bandwidthRow(StringBuilder sb, Bandwidth b, Bandwidth floor, String ref) {
        if (b == null) {
            return;
        }
        String name = b.name() + (b.detail() == null || b.detail().isEmpty() ? "" : " (" + b.detail() + ")");
        row(sb, name, b.concurrency(), Double.NaN, Double.NaN, Targets.mbps(b.mbPerSecond()),
                floor == null ? "—" : "disk " + Targets.mbps(floor.mbPerSecond()),
                floor == null ? Double.NaN : b.mbPerSecond() / floor.mbPerSecond(), ref, b.errors());
    }

    private static void row(StringBuilder sb, String name, int c, double p50, double p99, String rate, String baseline,
                            double ratio, String ref, long errors) {
        sb.append("| ").append(name).append(errors > 0 ? " (" + errors + " errors)" : "").append(" | ")
                .append(c <= 0 ? "" : Integer.toString(c)).append(" | ")
                .append(Double.isNaN(p50) ? "" : num(p50)).append(" | ")
                .append(Double.isNaN(p99) ? "" : num(p99)).append(" | ")
                .append(rate).append(" | ").append(baseline).append(" | ")
                .append(Double.isNaN(ratio) || Double.isInfinite(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio))
                .append(" | ").append(ref).append(" |\n");
    }

    private static String stageNum(double ms) {
        return ms < 1 ? String.format(Locale.ROOT, "%.3f", ms) : num(ms);
    }

    private static String num(double ms) {
        return String.format(Locale.ROOT, ms < 10 ? "%.2f" : "%.1f", ms);
    }

    // ---------------------------------------------------------------- charts

    static void charts(BenchResults r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        save(latencyDistribution(r), dir.resolve(CHARTS.get(0)));
        save(putLatency(r), dir.resolve(CHARTS.get(1)));
        save(putThroughput(r), dir.resolve(CHARTS.get(2)));
        save(bandwidth(r), dir.resolve(CHARTS.get(3)));
        save(persistence(r), dir.resolve(CHARTS.get(4)));
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        String name = file.toString();
        String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    }

    /** Percentile curves at c=1 on log-log axes: x is 1/(1-p), so p50 = 2, p99 = 100, p99.9 = 1000. */
    static XYChart latencyDistribution(BenchResults r) {
        XYChart chart = new XYChartBuilder().width(1000).height(600).title("Latency distribution (one client)")
                .xAxisTitle("percentile").yAxisTitle("latency (ms)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(5);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> {
            double p = 100 * (1 - 1 / x);
            return String.format(Locale.ROOT, p >= 99.9 ? "p%.2f" : "p%.0f", p).replace(".00", "");
        });
        String[][] series = {
                {"put.wb.c1", "PUT WRITE_BACK"}, {"put.wt.c1", "PUT WRITE_THROUGH"}, {"put.direct.c1", "PUT s3proxy"},
                {"get.cached", "GET after write (cached)"}, {"get.cold", "GET cold (read-through)"},
                {"get.direct", "GET s3proxy"}, {"floor.fsync", "floor: 10 KiB write+fdatasync"},
                {"floor.http", "floor: empty HTTP RTT"}};
        boolean any = false;
        for (String[] s : series) {
            Optional<Latency> l = r.latency(s[0]);
            if (l.isEmpty() || l.get().percentiles().isEmpty()) {
                continue;
            }
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Map.Entry<Double, Double> e : l.get().percentiles().entrySet()) {
                if (e.getKey() > 0 && e.getKey() < 100 && e.getValue() > 0) {
                    xs.add(1 / (1 - e.getKey() / 100));
                    ys.add(e.getValue());
                }
            }
            if (!xs.isEmpty()) {
                var xy = chart.addSeries(s[1], xs, ys);
                if (s[0].startsWith("floor.")) {
                    xy.setLineStyle(dashed());
                    xy.setMarker(SeriesMarkers.NONE);
                }
                any = true;
            }
        }
        if (!any) {
            chart.addSeries("no data", new double[] {1, 2}, new double[] {1, 1});
        }
        return chart;
    }

    /** p50 (solid) and p99 (dashed) against the number of clients, log-log, with the fsync + RTT floor. */
    static XYChart putLatency(BenchResults r) {
        XYChart chart = new XYChartBuilder().width(1000).height(600)
                .title("10 KiB PUT latency by concurrency: p50 solid, p99 dashed").xAxisTitle("clients")
                .yAxisTitle("latency (ms)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(7);
        boolean any = false;
        for (String t : TARGETS) {
            for (boolean p99 : new boolean[] {false, true}) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (int c : CONCURRENCY) {
                    Optional<Latency> l = r.latency("put." + t + ".c" + c);
                    double v = l.map(x -> p99 ? x.p99Ms() : x.p50Ms()).orElse(Double.NaN);
                    if (v > 0) {
                        xs.add((double) c);
                        ys.add(v);
                    }
                }
                if (!xs.isEmpty()) {
                    var xy = chart.addSeries(TARGET_NAMES.get(t) + (p99 ? " p99" : " p50"), xs, ys);
                    if (p99) {
                        xy.setLineStyle(dashed());
                    }
                    any = true;
                }
            }
        }
        double floor = r.latency("floor.fsync").map(Latency::p50Ms).orElse(Double.NaN)
                + r.latency("floor.http").map(Latency::p50Ms).orElse(Double.NaN);
        if (floor > 0) {
            var xy = chart.addSeries("floor: fsync + RTT p50", new double[] {1, 64}, new double[] {floor, floor});
            xy.setLineStyle(dashed());
            xy.setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (!any) {
            chart.addSeries("no data", new double[] {1, 2}, new double[] {1, 1});
        }
        return chart;
    }

    private static BasicStroke dashed() {
        return new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f);
    }

    static CategoryChart putThroughput(BenchResults r) {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(600)
                .title("10 KiB PUT/s by concurrency (closed loop)").xAxisTitle("clients").yAxisTitle("PUT/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        List<String> cats = new ArrayList<>();
        for (int c : CONCURRENCY) {
            cats.add("c=" + c);
        }
        for (String t : TARGETS) {
            List<Double> ys = new ArrayList<>();
            boolean any = false;
            for (int c : CONCURRENCY) {
                Optional<Latency> l = r.latency("put." + t + ".c" + c);
                ys.add(l.map(Latency::opsPerSecond).orElse(0.0));
                any |= l.isPresent();
            }
            if (any) {
                chart.addSeries(TARGET_NAMES.get(t), cats, ys);
            }
        }
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("no data", List.of("none"), List.of(0.0));
        }
        return chart;
    }

    static CategoryChart bandwidth(BenchResults r) {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(600)
                .title("Large writes and FUSE against the disk floor").xAxisTitle("").yAxisTitle("MB/s").build();
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLegendVisible(false);
        List<String> cats = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        String[][] keys = {{"floor.seq", "disk: seq write + fdatasync"}, {"large.wb", "10 MiB PUT WRITE_BACK c=4"},
                {"large.direct", "10 MiB PUT s3proxy c=4"}, {"fuse.write", "FUSE seq write"},
                {"fuse.read", "FUSE seq read"}};
        for (String[] k : keys) {
            r.bandwidth(k[0]).ifPresent(b -> {
                cats.add(k[1]);
                ys.add(b.mbPerSecond());
            });
        }
        if (cats.isEmpty()) {
            cats.add("no data");
            ys.add(0.0);
        }
        chart.addSeries("MB/s", cats, ys);
        return chart;
    }

    static CategoryChart persistence(BenchResults r) {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(500)
                .title("Asynchronous persistence vs the UFS's own PUT rate").xAxisTitle("").yAxisTitle("objects/s").build();
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLegendVisible(false);
        var p = r.persistence();
        List<String> cats = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        if (p != null) {
            cats.add("persistence (first PUT to all PERSISTED)");
            ys.add(p.objectsPerSecond());
            cats.add("s3proxy direct PUT/s, c=" + p.parallelism());
            ys.add(p.ufsDirectPutsPerSecond());
        } else {
            cats.add("no data");
            ys.add(0.0);
        }
        chart.addSeries("objects/s", cats, ys);
        return chart;
    }
}
