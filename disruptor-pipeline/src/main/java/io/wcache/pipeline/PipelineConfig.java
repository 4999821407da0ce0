package io.wcache.pipeline;

import java.util.Objects;

/**
 * Settings of a {@link WritePipeline}: the ring size (a power of two; producers wait when it is
 * full) and the worker id written into every extent.
 */
public record PipelineConfig(int ringSize, String workerId) {

    public static final int DEFAULT_RING_SIZE = 1024;

    public PipelineConfig {
        if (ringSize < 4 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two >= 4, got " + ringSize);
        }
        Objects.requireNonNull(workerId, "workerId");
    }

    public static PipelineConfig of(String workerId) {
        return new PipelineConfig(DEFAULT_RING_SIZE, workerId);
    }
}
