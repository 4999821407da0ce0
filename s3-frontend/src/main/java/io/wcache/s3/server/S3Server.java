package io.wcache.s3.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.wcache.core.cache.CacheService;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.http.S3RequestDecoder;
import io.wcache.s3.request.S3RequestParser;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3 REST endpoint over a {@link CacheService}: a Netty HTTP/1.1 server whose pipeline is
 * idle guard, HTTP codec (bounded heads), {@link S3RequestDecoder} (parse, SigV4, aws-chunked,
 * digests, payload backpressure) and {@link S3Handler} (operations). Bodies stream through in
 * both directions; no object is ever held in memory whole.
 *
 * <pre>{@code
 * S3Server server = new S3Server(cache, S3ServerConfig.of(AuthMode.SigV4.of(keys)));
 * int port = server.start(new InetSocketAddress("127.0.0.1", 0));
 * ...
 * server.stop();
 * }</pre>
 */
public final class S3Server implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3Server.class);

    private final CacheService cache;
    private final S3ServerConfig config;
    private final Instant startedAt = Instant.now();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel serverChannel;

    public S3Server(CacheService cache, S3ServerConfig config) {
        this.cache = cache;
        this.config = config;
    }

    /** Binds and starts serving; returns the bound port (useful with port 0). */
    public synchronized int start(InetSocketAddress bind) {
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup();
        S3RequestParser parser = new S3RequestParser(config.serviceHosts());
        SigV4Verifier verifier = new SigV4Verifier(config.auth(), config.clock());
        S3Handler.Shared shared = new S3Handler.Shared(cache, config, startedAt);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // GET bodies are produced only while the channel is writable: this bounds what is queued per connection.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        long idle = config.idleTimeout().toMillis();
                        ch.pipeline().addLast("idle", new IdleStateHandler(true, 0, 0, idle, TimeUnit.MILLISECONDS))
                                .addLast("http", new HttpServerCodec(config.maxInitialLine(), config.maxHeaderBytes(),
                                        256 * 1024))
                                .addLast("s3-decoder", new S3RequestDecoder(parser, verifier))
                                .addLast("s3", new S3Handler(shared));
                    }
                });
        try {
            serverChannel = b.bind(bind).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while binding " + bind, e);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        LOG.info("event=s3_server_started address={}:{} auth={}", bind.getHostString(), port,
                config.auth().getClass().getSimpleName().toLowerCase());
        return port;
    }

    /** The bound address, once started. */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting, closes connections (unfinished writes are aborted) and releases threads. */
    public synchronized void stop() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
            serverChannel = null;
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            boss = null;
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            workers = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
