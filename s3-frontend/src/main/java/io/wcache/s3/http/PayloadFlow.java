package io.wcache.s3.http;

import io.netty.channel.Channel;

/**
 * Backpressure for one connection's request payload: the decoder counts payload bytes handed
 * downstream and not yet reported consumed; above the high watermark it turns the channel's
 * {@code autoRead} off, so the socket (and TCP's window) holds the rest; once consumption brings
 * the count below the low watermark, reading resumes. Thread-safe: {@link #consumed} may be
 * called from any thread, it hops to the channel's event loop.
 */
public final class PayloadFlow {
    private final Channel channel;
    private final long highWatermark;
    private final long lowWatermark;
    // Only touched on the event loop.
    private long outstanding;

    PayloadFlow(Channel channel, long highWatermark, long lowWatermark) {
        if (lowWatermark > highWatermark || lowWatermark < 0) {
            throw new IllegalArgumentException("watermarks: low " + lowWatermark + " high " + highWatermark);
        }
        this.channel = channel;
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
    }

    /** Reports {@code bytes} of delivered payload as no longer held downstream. */
    public void consumed(long bytes) {
        if (channel.eventLoop().inEventLoop()) {
            onConsumed(bytes);
        } else {
            channel.eventLoop().execute(() -> onConsumed(bytes));
        }
    }

    /** Payload bytes delivered and not yet consumed. */
    public long outstanding() {
        return outstanding;
    }

    void delivered(long bytes) {
        outstanding += bytes;
        if (outstanding > highWatermark && channel.config().isAutoRead()) {
            channel.config().setAutoRead(false);
        }
    }

    /** Forgets the request's outstanding bytes (it ended or failed) and resumes reading. */
    void reset() {
        outstanding = 0;
        if (!channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }

    private void onConsumed(long bytes) {
        outstanding = Math.max(0, outstanding - bytes);
        if (outstanding <= lowWatermark && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }
}
