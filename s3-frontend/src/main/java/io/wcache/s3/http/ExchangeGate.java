package io.wcache.s3.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One exchange at a time per connection, so HTTP pipelining is answered in order: the next
 * request (head and body) is passed on only once the previous request has been read to its end
 * and its final response has been written out. Requests that arrive meanwhile are held here
 * (what one socket read decoded), and socket reads are suspended by swallowing {@code read()}
 * until the exchange completes, so a client that pipelines without limit holds at most one
 * read's worth of requests in memory. Held messages are released when the connection closes.
 *
 * <p>It also applies HTTP/1.x persistence to every response: a request that is not keep-alive
 * ({@code Connection: close}, or HTTP/1.0 without {@code Connection: keep-alive}) gets
 * {@code Connection: close} and the connection is closed after its response; a keep-alive
 * HTTP/1.0 request gets {@code Connection: keep-alive}. A response that says
 * {@code Connection: close} ends the connection (nothing held is served after it).
 *
 * <p>Sits between the HTTP codec and {@link S3RequestDecoder}; {@code 1xx} responses
 * ({@code 100 Continue}) are not final. Confined to the channel's event loop. Tells the
 * {@link RequestHeadDeadline} in front of the codec when a head was received and when the
 * connection waits for the next one.
 */
public final class ExchangeGate extends ChannelDuplexHandler {
    private final ArrayDeque<HttpObject> held = new ArrayDeque<>();
    private final RequestHeadDeadline deadline;
    /** A request head was passed on and its last content was not yet. */
    private boolean requestOpen;
    /** A request head was passed on and its final response is not completely written yet. */
    private boolean responsePending;
    /** The final response head of the current exchange was written (its body may follow). */
    private boolean finalHeadWritten;
    /** The current request is HTTP/1.0 (persistent only when it asks to be). */
    private boolean http10;
    private boolean closeAfterResponse;
    private boolean readSuspended;
    private boolean draining;
    private boolean closed;

    /** @param deadline the head deadline of this channel, or null when there is none */
    public ExchangeGate(RequestHeadDeadline deadline) {
        this.deadline = deadline;
    }

    /** Whether an exchange is in progress (tests, diagnostics). */
    public boolean busy() {
        return requestOpen || responsePending;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpObject obj)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!held.isEmpty() || (msg instanceof HttpRequest && busy())) {
            held.add(obj);
            return;
        }
        pass(ctx, obj);
    }

    private void pass(ChannelHandlerContext ctx, HttpObject obj) {
        forward(ctx, obj);
        if (!busy()) {
            exchangeDone(ctx);
        }
    }

    /** Passes one message on, tracking where the exchange stands. */
    private void forward(ChannelHandlerContext ctx, HttpObject obj) {
        if (obj instanceof HttpRequest req) {
            requestOpen = true;
            responsePending = true;
            finalHeadWritten = false;
            http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
            closeAfterResponse = !HttpUtil.isKeepAlive(req);
            if (deadline != null) {
                deadline.headReceived();
            }
        }
        if (obj instanceof LastHttpContent) {
            requestOpen = false;
        }
        ctx.fireChannelRead(obj);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        // While a complete request waits for its answer, pipelined bytes stay in the socket.
        if (!held.isEmpty() || (responsePending && !requestOpen)) {
            readSuspended = true;
            return;
        }
        ctx.read();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean last = false;
        if (msg instanceof HttpResponse resp) {
            if (resp.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ctx.write(msg, promise);
                return;
            }
            finalHeadWritten = true;
            persistence(resp);
        }
        if (finalHeadWritten && msg instanceof LastHttpContent) {
            last = true;
        }
        if (!last) {
            ctx.write(msg, promise);
            return;
        }
        finalHeadWritten = false;
        boolean close = closeAfterResponse;
        ChannelPromise p = promise.unvoid();
        p.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || close) {
                ctx.close();
                return;
            }
            responseWritten(ctx);
        });
        ctx.write(msg, p);
    }

    private void persistence(HttpResponse resp) {
        String connection = resp.headers().get(HttpHeaderNames.CONNECTION);
        if (connection != null && connection.equalsIgnoreCase(HttpHeaderValues.CLOSE.toString())) {
            closeAfterResponse = true;
        }
        if (closeAfterResponse) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private void responseWritten(ChannelHandlerContext ctx) {
        responsePending = false;
        if (!requestOpen) {
            exchangeDone(ctx);
        }
    }

    /** The exchange is complete: pass on what was held, up to the next complete request, and read again. */
    private void exchangeDone(ChannelHandlerContext ctx) {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!held.isEmpty() && !closed) {
                HttpObject next = held.peek();
                if (next instanceof HttpRequest && busy()) {
                    break;
                }
                held.poll();
                forward(ctx, next);
            }
        } finally {
            draining = false;
        }
        if (closed) {
            return;
        }
        if (!busy() && deadline != null) {
            deadline.awaitingHead();
        }
        if (readSuspended && held.isEmpty() && !(responsePending && !requestOpen)) {
            readSuspended = false;
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    private void releaseHeld() {
        HttpObject o;
        while ((o = held.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
