package io.wcache.fuse;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * FUSE operation timings and errors in the worker's registry: {@code wcache.fuse.operations}
 * (a timer per operation and outcome, {@code ok} or the errno name) and
 * {@code wcache.fuse.errors} (a counter per operation and errno). Meters are looked up once per
 * (operation, outcome) and cached, so recording costs no allocation after warm-up.
 */
public final class FuseMetrics {

    private final MeterRegistry registry;
    private final ConcurrentMap<String, ConcurrentMap<Integer, Timer>> timers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentMap<Integer, Counter>> errors = new ConcurrentHashMap<>();

    public FuseMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records one call of {@code op} that started at {@code startNanos} and returned {@code rc} (negative errno on failure). */
    void record(String op, long startNanos, int rc) {
        long elapsed = System.nanoTime() - startNanos;
        int errno = rc < 0 ? -rc : 0;
        timers.computeIfAbsent(op, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(errno, e -> Timer.builder("wcache.fuse.operations")
                        .description("FUSE operations served by the mount")
                        .tag("op", op).tag("outcome", e == 0 ? "ok" : ErrnoTable.name(e))
                        .register(registry))
                .record(elapsed, TimeUnit.NANOSECONDS);
        if (errno != 0) {
            errors.computeIfAbsent(op, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(errno, e -> Counter.builder("wcache.fuse.errors")
                            .description("FUSE operations that returned an errno")
                            .tag("op", op).tag("errno", ErrnoTable.name(e))
                            .register(registry))
                    .increment();
        }
    }
}
