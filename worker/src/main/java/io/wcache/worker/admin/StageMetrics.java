package io.wcache.worker.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Stages} recorder of a worker: one {@code wcache.stage} timer per {@link Stage}
 * (tag {@code stage}), created once, published as a Prometheus histogram
 * ({@code wcache_stage_seconds_bucket}), so a scrape before and after a run gives each stage's
 * latency distribution in that run. Recording is one timer update: no lookup, no logging.
 */
public final class StageMetrics implements Stages.Recorder {

    public static final String METRIC = "wcache.stage";

    private static volatile StageMetrics global;

    private final Timer[] timers;

    private StageMetrics(MeterRegistry registry) {
        Stage[] stages = Stage.values();
        timers = new Timer[stages.length];
        for (Stage s : stages) {
            timers[s.ordinal()] = Timer.builder(METRIC)
                    .description("Time a request or upload spent in one stage (docs/PERFORMANCE.md)")
                    .tag("stage", s.label())
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1_000))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry);
        }
    }

    /** Installs the recorder feeding Micrometer's global registry (which {@code /metrics} joins); idempotent. */
    public static synchronized StageMetrics installGlobal() {
        if (global == null) {
            global = new StageMetrics(Metrics.globalRegistry);
        }
        Stages.install(global);
        return global;
    }

    @Override
    public void record(Stage stage, long nanos) {
        timers[stage.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }
}
