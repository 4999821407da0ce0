package io.wcache.pipeline;

import io.wcache.schema.catalog.CatalogOp;
import java.util.Objects;

/**
 * Settings of a {@link WritePipeline}: the ring size (a power of two; producers wait when it is
 * full), the worker id written into every extent, and the largest write acknowledged after one
 * sync: a write whose whole body and commit arrive in one batch and hold at most
 * {@code copyMaxBytes} goes into the Catalog with a copy of its body and is acknowledged once that
 * commit is durable, while its log records are synced shortly after (0: every write also waits for
 * its log sync). At most {@link CatalogOp.Commit#MAX_COPY_BYTES}.
 */
public record PipelineConfig(int ringSize, String workerId, int copyMaxBytes) {

    public static final int DEFAULT_RING_SIZE = 1024;
    /** The default {@link #copyMaxBytes}: 64 KiB. */
    public static final int DEFAULT_COPY_MAX_BYTES = 64 << 10;

    public PipelineConfig {
        if (ringSize < 4 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two >= 4, got " + ringSize);
        }
        Objects.requireNonNull(workerId, "workerId");
        if (copyMaxBytes < 0 || copyMaxBytes > CatalogOp.Commit.MAX_COPY_BYTES) {
            throw new IllegalArgumentException("copyMaxBytes must be within 0 and " + CatalogOp.Commit.MAX_COPY_BYTES
                    + ", got " + copyMaxBytes);
        }
    }

    public PipelineConfig(int ringSize, String workerId) {
        this(ringSize, workerId, DEFAULT_COPY_MAX_BYTES);
    }

    public static PipelineConfig of(String workerId) {
        return new PipelineConfig(DEFAULT_RING_SIZE, workerId);
    }
}
