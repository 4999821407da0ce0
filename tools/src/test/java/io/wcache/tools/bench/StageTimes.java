package io.wcache.tools.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The worker's per-stage histograms ({@code wcache_stage_seconds_bucket} on {@code /metrics}) read
 * before and after a run: the difference of the cumulative buckets is that run's distribution of
 * each stage, from which p50 and p99 are interpolated within the bucket that holds them (as
 * Prometheus's {@code histogram_quantile} does), so they are as fine as the buckets (about 10-25 %).
 */
public final class StageTimes {

    private static final Pattern BUCKET = Pattern.compile(
            "(?m)^wcache_stage_seconds_bucket\\{([^}]*)}\\s+(\\S+)");
    private static final Pattern STAGE = Pattern.compile("stage=\"([^\"]+)\"");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    /** One scrape: per stage, cumulative count by upper bound (seconds). */
    public record Scrape(Map<String, TreeMap<Double, Double>> buckets) {
    }

    private StageTimes() {
    }

    public static Scrape parse(String prometheusText) {
        Map<String, TreeMap<Double, Double>> out = new LinkedHashMap<>();
        Matcher m = BUCKET.matcher(prometheusText);
        while (m.find()) {
            Matcher s = STAGE.matcher(m.group(1));
            Matcher le = LE.matcher(m.group(1));
            if (!s.find() || !le.find()) {
                continue;
            }
            double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
            out.computeIfAbsent(s.group(1), k -> new TreeMap<>()).put(bound, Double.parseDouble(m.group(2)));
        }
        return new Scrape(out);
    }

    /** Each stage that counted anything between the two scrapes, in the order the worker lists them. */
    public static List<BenchResults.StageLatency> between(Scrape before, Scrape after) {
        List<BenchResults.StageLatency> out = new ArrayList<>();
        for (Map.Entry<String, TreeMap<Double, Double>> e : after.buckets().entrySet()) {
            TreeMap<Double, Double> prev = before.buckets().getOrDefault(e.getKey(), new TreeMap<>());
            TreeMap<Double, Double> delta = new TreeMap<>();
            e.getValue().forEach((le, n) -> delta.put(le, n - prev.getOrDefault(le, 0.0)));
            double count = delta.isEmpty() ? 0 : delta.lastEntry().getValue();
            if (count <= 0) {
                continue;
            }
            out.add(new BenchResults.StageLatency(e.getKey(), (long) count, quantile(delta, 0.5) * 1e3,
                    quantile(delta, 0.99) * 1e3));
        }
        return out;
    }

    /** The q-quantile (seconds) of cumulative buckets, linear within its bucket; the last finite bound if beyond. */
    static double quantile(TreeMap<Double, Double> cumulative, double q) {
        double total = cumulative.lastEntry().getValue();
        double rank = q * total;
        double lower = 0;
        double below = 0;
        for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return lower;
                }
                double inBucket = b.getValue() - below;
                return inBucket <= 0 ? b.getKey() : lower + (b.getKey() - lower) * (rank - below) / inBucket;
            }
            lower = b.getKey();
            below = b.getValue();
        }
        return lower;
    }
}
