package io.wcache.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop load generator: {@code concurrency} threads each run one operation after another
 * for a warm-up and then a measured window, and the latencies of operations that started inside
 * the window are recorded. Closed loop means throughput is what the system
 * sustains at that concurrency; latency is not corrected for coordinated omission, which is the
 * right reading for "a client with N requests in flight".
 */
public final class ClosedLoop {

    /** One operation; {@code seq} is unique across the threads of a run (use it in object keys). */
    @FunctionalInterface
    public interface Op {
        void run(long seq) throws Exception;
    }

    /**
     * An operation that times part of itself (e.g. the GET of a PUT-then-GET pair) and returns
     * those nanoseconds; the whole call still counts for throughput.
     */
    @FunctionalInterface
    public interface PartlyTimedOp {
        long run(long seq) throws Exception;
    }

    /** Fewest operations a run tries to record before its window may close. */
    public static final long MIN_OPS = 20;

    private ClosedLoop() {
    }

    /**
     * Runs {@code op} at {@code concurrency} for {@code warmup} then {@code measure}; the measured
     * window ends early once {@code maxOps} operations were recorded (0 = no cap).
     */
    public static LatencySummary run(String name, int concurrency, Duration warmup, Duration measure, long maxOps,
                                     Op op) throws InterruptedException {
        return runPartlyTimed(name, concurrency, warmup, measure, maxOps, seq -> {
            long t0 = System.nanoTime();
            op.run(seq);
            return System.nanoTime() - t0;
        });
    }

    /**
     * As {@link #run}, recording the nanoseconds each operation reports instead of its whole
     * duration. Operations that start inside the measured window are recorded even if they finish
     * after it; the window then ends when the last of them finishes. If fewer than
     * {@link #MIN_OPS} were recorded when the window ends, it is extended (up to four times its
     * length) so that a slow system still yields a distribution rather than nothing.
     */
    public static LatencySummary runPartlyTimed(String name, int concurrency, Duration warmup, Duration measure,
                                                long maxOps, PartlyTimedOp op) throws InterruptedException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        }
        AtomicLong seq = new AtomicLong();
        AtomicLong started = new AtomicLong();
        AtomicLong recorded = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long measureFrom = System.nanoTime() + warmup.toNanos();
        long measureUntil = measureFrom + measure.toNanos();
        long hardLimit = measureFrom + 4 * measure.toNanos();
        long minOps = Math.min(MIN_OPS, maxOps > 0 ? maxOps : MIN_OPS);
        List<Histogram> histograms = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            Histogram h = LatencySummary.newHistogram();
            histograms.add(h);
            Thread th = new Thread(() -> {
                while (true) {
                    long t0 = System.nanoTime();
                    boolean inWindow = t0 >= measureFrom;
                    if (t0 >= measureUntil && (recorded.get() + errors.get() >= minOps || t0 >= hardLimit)) {
                        return;
                    }
                    if (inWindow && maxOps > 0 && started.incrementAndGet() > maxOps) {
                        return;
                    }
                    long timed = 0;
                    boolean ok = true;
                    try {
                        timed = op.run(seq.getAndIncrement());
                    } catch (Exception | AssertionError e) {
                        ok = false;
                        if (inWindow) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.toString());
                        }
                    }
                    long t1 = System.nanoTime();
                    if (inWindow) {
                        lastEnd.accumulateAndGet(t1, Math::max);
                        if (ok) {
                            h.recordValue(Math.max(1, timed / 1000));
                            recorded.incrementAndGet();
                        }
                    }
                }
            }, "bench-" + name.replaceAll("[^A-Za-z0-9]+", "-") + "-" + t);
            th.setDaemon(true);
            threads.add(th);
        }
        threads.forEach(Thread::start);
        for (Thread th : threads) {
            th.join();
        }
        Histogram all = LatencySummary.newHistogram();
        histograms.forEach(all::add);
        double seconds = Math.max(0, lastEnd.get() - measureFrom) / 1e9;
        return new LatencySummary(name, concurrency, all.getTotalCount(), errors.get(), seconds, firstError.get(), all);
    }
}
