package io.wcache.logstore;

import io.wcache.core.error.WcacheException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the log store needs, as a plain value: the cache directories with their capacities,
 * the segment size, the pinned ratio ({@code worker.page.store.pinned.file.capacity.limit.ratio}),
 * the eviction watermarks, the compaction threshold, how often the background reclaimer looks
 * at the space when nothing wakes it, and how many group-commit force rounds may overlap. Parsing configuration files happens elsewhere.
 */
public record LogStoreConfig(
        List<CacheDir> dirs,
        long segmentSize,
        double pinnedRatio,
        double highWatermark,
        double lowWatermark,
        double compactionThreshold,
        Duration reclaimInterval,
        int syncConcurrency) {

    public static final long DEFAULT_SEGMENT_SIZE = 64L << 20;
    public static final double DEFAULT_PINNED_RATIO = 0.3;
    public static final double DEFAULT_HIGH_WATERMARK = 0.9;
    public static final double DEFAULT_LOW_WATERMARK = 0.8;
    public static final double DEFAULT_COMPACTION_THRESHOLD = 0.25;
    public static final Duration DEFAULT_RECLAIM_INTERVAL = Duration.ofSeconds(10);
    public static final int DEFAULT_SYNC_CONCURRENCY = 2;

    /** One cache directory and the bytes of segment files it may hold. */
    public record CacheDir(Path path, long capacity) {
        public CacheDir {
            Objects.requireNonNull(path, "path");
            if (capacity <= 0) {
                throw new WcacheException.InvalidArgument(path.toString(), "cache directory capacity must be positive: " + capacity);
            }
        }
    }

    public LogStoreConfig {
        dirs = List.copyOf(Objects.requireNonNull(dirs, "dirs"));
        Objects.requireNonNull(reclaimInterval, "reclaimInterval");
        if (syncConcurrency < 1 || syncConcurrency > 16) {
            throw new WcacheException.InvalidArgument("syncConcurrency", "sync concurrency must be in [1, 16]: " + syncConcurrency);
        }
        if (dirs.isEmpty()) {
            throw new WcacheException.InvalidArgument("cache.dirs", "at least one cache directory is required");
        }
        if (dirs.stream().map(d -> d.path().toAbsolutePath().normalize()).distinct().count() != dirs.size()) {
            throw new WcacheException.InvalidArgument("cache.dirs", "cache directories must be distinct");
        }
        if (segmentSize < 4096) {
            throw new WcacheException.InvalidArgument("segmentSize", "segment size must be at least 4096 bytes: " + segmentSize);
        }
        if (!(pinnedRatio > 0 && pinnedRatio <= 1)) {
            throw new WcacheException.InvalidArgument("worker.page.store.pinned.file.capacity.limit.ratio",
                    "pinned ratio must be in (0, 1]: " + pinnedRatio);
        }
        if (!(lowWatermark > 0 && lowWatermark < highWatermark && highWatermark <= 1)) {
            throw new WcacheException.InvalidArgument("watermarks",
                    "need 0 < low < high <= 1, got low=" + lowWatermark + " high=" + highWatermark);
        }
        if (!(compactionThreshold >= 0 && compactionThreshold < 1)) {
            throw new WcacheException.InvalidArgument("compactionThreshold",
                    "compaction threshold must be in [0, 1): " + compactionThreshold);
        }
        if (reclaimInterval.isNegative() || reclaimInterval.isZero()) {
            throw new WcacheException.InvalidArgument("reclaimInterval", "reclaim interval must be positive");
        }
    }

    /** The defaults for the given directories. */
    public static LogStoreConfig of(List<CacheDir> dirs) {
        return new LogStoreConfig(dirs, DEFAULT_SEGMENT_SIZE, DEFAULT_PINNED_RATIO, DEFAULT_HIGH_WATERMARK,
                DEFAULT_LOW_WATERMARK, DEFAULT_COMPACTION_THRESHOLD, DEFAULT_RECLAIM_INTERVAL,
                DEFAULT_SYNC_CONCURRENCY);
    }

    /** The defaults for one directory. */
    public static LogStoreConfig of(Path dir, long capacity) {
        return of(List.of(new CacheDir(dir, capacity)));
    }

    public LogStoreConfig withSegmentSize(long size) {
        return new LogStoreConfig(dirs, size, pinnedRatio, highWatermark, lowWatermark, compactionThreshold, reclaimInterval, syncConcurrency);
    }

    public LogStoreConfig withPinnedRatio(double ratio) {
        return new LogStoreConfig(dirs, segmentSize, ratio, highWatermark, lowWatermark, compactionThreshold, reclaimInterval, syncConcurrency);
    }

    public LogStoreConfig withWatermarks(double low, double high) {
        return new LogStoreConfig(dirs, segmentSize, pinnedRatio, high, low, compactionThreshold, reclaimInterval, syncConcurrency);
    }

    public LogStoreConfig withCompactionThreshold(double threshold) {
        return new LogStoreConfig(dirs, segmentSize, pinnedRatio, highWatermark, lowWatermark, threshold, reclaimInterval, syncConcurrency);
    }

    public LogStoreConfig withReclaimInterval(Duration interval) {
        return new LogStoreConfig(dirs, segmentSize, pinnedRatio, highWatermark, lowWatermark, compactionThreshold, interval, syncConcurrency);
    }

    public LogStoreConfig withSyncConcurrency(int rounds) {
        return new LogStoreConfig(dirs, segmentSize, pinnedRatio, highWatermark, lowWatermark, compactionThreshold,
                reclaimInterval, rounds);
    }

    /** Total capacity of all directories. */
    public long totalCapacity() {
        return dirs.stream().mapToLong(CacheDir::capacity).sum();
    }

    /** The cap on pinned payload bytes: {@code pinnedRatio} of the total capacity. */
    public long pinnedCap() {
        return (long) Math.floor(totalCapacity() * pinnedRatio);
    }
}
