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
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.wcache.core.cache.CacheService;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.http.ExchangeGate;
import io.wcache.s3.http.RequestHeadDeadline;
import io.wcache.s3.http.S3RequestDecoder;
import io.wcache.s3.request.S3RequestParser;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3 REST endpoint over a {@link CacheService}: a Netty HTTP/1.1 server whose pipeline is
 * request-head deadline, TLS (when configured), idle guard, HTTP codec (bounded heads),
 * {@link ExchangeGate} (one request at a time, in order; HTTP persistence),
 * {@link S3RequestDecoder} (parse, SigV4, aws-chunked, digests, payload backpressure) and
 * {@link S3Handler} (operations). Connections beyond {@code maxConnections} are answered
 * {@code 503 SlowDown} and closed. Bodies stream through in
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
        SslContext tls = config.tls().map(S3Server::sslContext).orElse(null);
        ConnectionLimit connections = new ConnectionLimit(config.maxConnections());
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup();
        S3RequestParser parser = new S3RequestParser(config.serviceHosts());
        SigV4Verifier verifier = new SigV4Verifier(config.auth(), config.clock());
        // Answers carry ETags (EtagResolvingCache); access checks read objects' ACLs and tags only,
        // so they see the cache as it is and never wait for an ETag to be computed.
        S3Handler.Shared shared = new S3Handler.Shared(EtagResolvingCache.of(cache), config, startedAt,
                new S3Access(cache, config.auth()));
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
                        RequestHeadDeadline deadline = new RequestHeadDeadline(config.requestHeaderTimeout());
                        ch.pipeline().addLast("head-deadline", deadline);
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        HttpServerCodec http = new HttpServerCodec(config.maxInitialLine(), config.maxHeaderBytes(),
                                256 * 1024);
                        if (!connections.admit(ch)) {
                            ch.pipeline().addLast("http", http).addLast("over-capacity", new ConnectionLimit.OverCapacity());
                            return;
                        }
                        long idle = config.idleTimeout().toMillis();
                        ch.pipeline().addLast("idle", new IdleStateHandler(true, 0, 0, idle, TimeUnit.MILLISECONDS))
                                .addLast("http", http)
                                .addLast("exchanges", new ExchangeGate(deadline))
                                .addLast("s3-decoder", new S3RequestDecoder(parser, verifier)
                                        .withBucketCheck(b -> cache.mounts().find(b).isPresent()))
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
        LOG.info("event=s3_server_started address={}:{} scheme={} auth={} max_connections={}", bind.getHostString(),
                port, tls != null ? "https" : "http", config.auth().getClass().getSimpleName().toLowerCase(),
                config.maxConnections());
        return port;
    }

    /** The server TLS context of PEM files; a file that cannot be read or parsed is a clear start failure. */
    static SslContext sslContext(S3ServerConfig.TlsFiles files) {
        try {
            return SslContextBuilder.forServer(files.certificateChain().toFile(), files.privateKey().toFile())
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load the TLS certificate " + files.certificateChain()
                    + " and key " + files.privateKey() + " (PEM; the key unencrypted PKCS#8): " + e.getMessage(), e);
        }
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
