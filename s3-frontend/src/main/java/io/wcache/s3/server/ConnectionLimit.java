package io.wcache.s3.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.wcache.s3.error.S3Error;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.http.S3RequestDecoder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cap on open S3 connections ({@code s3.max.connections}). A connection is admitted when it
 * is set up and counted until it closes; one beyond the cap gets no S3 handler: its first request
 * is answered {@code 503 SlowDown} (which the SDKs retry with back-off) and it is closed. Until it
 * sends that head it is bounded by the request-head deadline like any other. Thread-safe.
 */
final class ConnectionLimit {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimit(int max) {
        this.max = max;
    }

    /** Counts {@code ch} if there is room; it is uncounted when it closes. */
    boolean admit(SocketChannel ch) {
        while (true) {
            int n = open.get();
            if (n >= max) {
                LOG.debug("event=s3_connection_refused remote={} open={} max={}", ch.remoteAddress(), n, max);
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                ch.closeFuture().addListener(f -> open.decrementAndGet());
                return true;
            }
        }
    }

    /** Connections counted now. */
    int open() {
        return open.get();
    }

    /** The handler of a connection over the cap: answers its first request with SlowDown, then closes. */
    static final class OverCapacity extends ChannelInboundHandlerAdapter {
        private boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req && !answered) {
                    answered = true;
                    S3Error error = new S3Error(S3ErrorCode.SLOW_DOWN,
                            "Too many open connections; retry later", null, Optional.of(Duration.ofSeconds(1)));
                    FullHttpResponse resp = S3RequestDecoder.errorResponse(error, "0000000000000000",
                            req.method().name().equals("HEAD"));
                    resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
