package io.wcache.core.metrics;

/**
 * Where per-stage timings go. Modules that time a {@link Stage} call {@link #since} with a start
 * taken from {@link System#nanoTime()}; the worker installs a recorder that feeds histograms on
 * {@code /metrics}. Until then (and in modules used on their own) recording does nothing, so the
 * modules below the worker need no metrics library.
 */
public final class Stages {

    /** Receives one timing. Called on hot paths: must not block, log or allocate per call. */
    @FunctionalInterface
    public interface Recorder {
        void record(Stage stage, long nanos);
    }

    public static final Recorder NONE = (stage, nanos) -> { };

    private static volatile Recorder recorder = NONE;

    private Stages() {
    }

    /** Routes every later timing to {@code r} (the process has one: meters are process-wide). */
    public static void install(Recorder r) {
        recorder = r == null ? NONE : r;
    }

    public static Recorder recorder() {
        return recorder;
    }

    /** Records that {@code stage} took from {@code startNanos} ({@link System#nanoTime()}) until now. */
    public static void since(Stage stage, long startNanos) {
        recorder.record(stage, System.nanoTime() - startNanos);
    }

    public static void record(Stage stage, long nanos) {
        recorder.record(stage, nanos);
    }
}
