package io.wcache.worker.cluster;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.wcache.core.error.WcacheException;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import io.wcache.worker.cluster.proto.ClusterMessages.Response;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The forwarding side of the internal transport: opens a connection to another worker per
 * forwarded operation and matches answers to requests by id. Futures complete on the worker's I/O
 * executor, never on a Netty event loop, so a caller's continuation can block without stalling
 * the transport.
 */
final class InternalClient implements AutoCloseable {

    /** A worker that accepts no connection within this is treated as unreachable. */
    static final int CONNECT_TIMEOUT_MS = 2_000;

    private final EventLoopGroup loops;
    private final Executor completions;

    InternalClient(String workerId, Executor completions) {
        this.loops = new NioEventLoopGroup(2, InternalServer.daemon("wcache-forward-" + workerId));
        this.completions = completions;
    }

    /** Thrown (inside the future) when no connection could be made: the caller may serve the request itself. */
    static final class Unreachable extends RuntimeException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Connects to {@code worker} at {@code hostPort}; fails with {@link Unreachable}. */
    CompletableFuture<Connection> connect(String worker, String hostPort) {
        CompletableFuture<Connection> out = new CompletableFuture<>();
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            out.completeExceptionally(new Unreachable(worker + " has no internal address", null));
            return out;
        }
        Connection c = new Connection(worker);
        Bootstrap b = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Framing.install(ch.pipeline(), Response.getDefaultInstance());
                        ch.pipeline().addLast("answers", c);
                    }
                });
        ChannelFuture f = b.connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        f.addListener(done -> {
            if (done.isSuccess()) {
                c.channel = f.channel();
                completions.execute(() -> out.complete(c));
            } else {
                completions.execute(() -> out.completeExceptionally(new Unreachable("cannot connect to " + worker
                        + " at " + hostPort + ": " + done.cause(), done.cause())));
            }
        });
        return out;
    }

    @Override
    public void close() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One connection to another worker; requests on it are answered by id. */
    final class Connection extends SimpleChannelInboundHandler<Response> {
        private final String worker;
        private final AtomicLong ids = new AtomicLong();
        private final Map<Long, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
        private volatile Channel channel;
        private volatile boolean closed;

        private Connection(String worker) {
            this.worker = worker;
        }

        String worker() {
            return worker;
        }

        /** Sends a request; the answer, or its failure rebuilt as core's error. */
        CompletableFuture<Response> call(Request.Builder request) {
            long id = ids.incrementAndGet();
            CompletableFuture<Response> f = new CompletableFuture<>();
            pending.put(id, f);
            if (closed) {
                lost(id);
                return f;
            }
            channel.writeAndFlush(request.setId(id).build()).addListener(w -> {
                if (!w.isSuccess()) {
                    lost(id);
                }
            });
            return f;
        }

        void close() {
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Response r) {
            CompletableFuture<Response> f = pending.remove(r.getId());
            if (f == null) {
                return;
            }
            if (r.hasFailure()) {
                WcacheException e = Wire.failure(r.getFailure());
                completions.execute(() -> f.completeExceptionally(e));
            } else {
                completions.execute(() -> f.complete(r));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            for (Long id : pending.keySet()) {
                lost(id);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void lost(long id) {
            CompletableFuture<Response> f = pending.remove(id);
            if (f != null) {
                WcacheException e = new WcacheException.Unavailable(worker, "the connection to " + worker
                        + " was lost before it answered", null);
                completions.execute(() -> f.completeExceptionally(e));
            }
        }
    }
}
