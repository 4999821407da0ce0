package io.wcache.s3.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the time a client may take to send a request head ({@code s3.request.header.timeout}),
 * so a client trickling header bytes (slowloris) cannot hold a connection: the clock starts when
 * the connection opens and, between requests, at the first byte of the next request; it stops
 * when {@link ExchangeGate} passes the complete head on. When it runs out the connection is
 * closed without an answer (there is no request to answer). A connection that sends nothing
 * between requests is the idle timeout's business. First in the pipeline (before TLS and the
 * HTTP codec), confined to the channel's event loop.
 */
public final class RequestHeadDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestHeadDeadline.class);

    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private boolean awaiting = true;
    private ScheduledFuture<?> timer;

    public RequestHeadDeadline(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request header timeout must be positive: " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            arm();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaiting && timer == null) {
            arm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    /** The head of a request is complete: its exchange is not bounded by this deadline. */
    void headReceived() {
        awaiting = false;
        cancel();
    }

    /** The exchange is over: the next head is timed from its first byte. */
    void awaitingHead() {
        awaiting = true;
    }

    private void arm() {
        if (timer != null || !awaiting) {
            return;
        }
        timer = ctx.executor().schedule(this::expired, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void expired() {
        timer = null;
        if (awaiting && ctx.channel().isActive()) {
            LOG.debug("event=s3_request_head_timeout remote={}", ctx.channel().remoteAddress());
            ctx.close();
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
