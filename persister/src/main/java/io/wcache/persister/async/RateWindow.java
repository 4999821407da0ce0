package io.wcache.persister.async;

import java.time.Duration;

/**
 * Completed objects and bytes in one-second buckets over a sliding window, for the recent
 * throughput figure of {@link PersistStats}. Synchronized: it is touched once per completed
 * operation, far below contention levels.
 */
final class RateWindow {

    private final int seconds;
    private final long[] bucketSecond;
    private final long[] objects;
    private final long[] bytes;

    RateWindow(Duration window) {
        this.seconds = (int) Math.max(1, window.toSeconds());
        this.bucketSecond = new long[seconds];
        this.objects = new long[seconds];
        this.bytes = new long[seconds];
    }

    synchronized void record(long nowMs, long byteCount) {
        long s = nowMs / 1000;
        int i = (int) (s % seconds);
        if (bucketSecond[i] != s) {
            bucketSecond[i] = s;
            objects[i] = 0;
            bytes[i] = 0;
        }
        objects[i]++;
        bytes[i] += byteCount;
    }

    /** {objects per second, bytes per second} over the window ending at {@code nowMs}. */
    synchronized double[] rates(long nowMs) {
        long s = nowMs / 1000;
        long o = 0;
        long b = 0;
        for (int i = 0; i < seconds; i++) {
            if (bucketSecond[i] > s - seconds && bucketSecond[i] <= s) {
                o += objects[i];
                b += bytes[i];
            }
        }
        return new double[] {(double) o / seconds, (double) b / seconds};
    }
}
