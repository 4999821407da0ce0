package io.wcache.tools.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;

/**
 * The machine's floors, measured in the same run as the system so ratios mean something: one
 * 10 KiB append + {@code fdatasync} on the cache disk (what an acknowledged small write cannot
 * beat), sequential write bandwidth with {@code fdatasync} per 10 MiB (what a large write cannot
 * beat), and an empty HTTP/1.1 request round trip on loopback over a kept-alive connection to a
 * minimal Netty server (what any request cannot beat).
 */
public final class MachineFloors {

    private MachineFloors() {
    }

    /** Bandwidth of the disk under {@code dir}: median of {@code rounds} rounds, in MB/s (10^6 bytes). */
    public record Bandwidth(double medianMbPerSecond, double[] roundsMbPerSecond, long bytesPerRound, long syncEveryBytes) {
    }

    /** 10 KiB (or {@code size}) appends, each followed by {@code fdatasync}, for {@code duration}. */
    public static LatencySummary appendAndSync(Path dir, int size, Duration duration) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("floor-fsync.dat");
        byte[] body = new byte[size];
        ThreadLocalRandom.current().nextBytes(body);
        Histogram h = LatencySummary.newHistogram();
        long end = System.nanoTime() + duration.toNanos();
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long pos = 0;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                ByteBuffer b = ByteBuffer.wrap(body);
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
                ch.force(false);
                h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                if (pos > (256L << 20)) {
                    // Bound the file; appending again from 0 to a fresh file keeps the "append" cost.
                    ch.truncate(0);
                    pos = 0;
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new LatencySummary("floor: " + size / 1024 + " KiB write + fdatasync", 1, h.getTotalCount(), 0, seconds,
                null, h);
    }

    /**
     * Sequential 1 MiB writes to a fresh file, {@code fdatasync} after every {@code syncEvery}
     * bytes and at the end, timed from the first write to the last sync.
     */
    public static Bandwidth sequentialWrite(Path dir, long bytesPerRound, long syncEvery, int rounds) throws IOException {
        Files.createDirectories(dir);
        byte[] block = new byte[1 << 20];
        ThreadLocalRandom.current().nextBytes(block);
        double[] results = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            Path file = dir.resolve("floor-seq-" + r + ".dat");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                long t0 = System.nanoTime();
                long written = 0;
                long sinceSync = 0;
                while (written < bytesPerRound) {
                    ByteBuffer b = ByteBuffer.wrap(block);
                    while (b.hasRemaining()) {
                        int n = ch.write(b);
                        written += n;
                        sinceSync += n;
                    }
                    if (sinceSync >= syncEvery) {
                        ch.force(false);
                        sinceSync = 0;
                    }
                }
                ch.force(false);
                results[r] = written / ((System.nanoTime() - t0) / 1e9) / 1e6;
            } finally {
                Files.deleteIfExists(file);
            }
        }
        double[] sorted = results.clone();
        Arrays.sort(sorted);
        return new Bandwidth(sorted[sorted.length / 2], results, bytesPerRound, syncEvery);
    }

    /** Empty {@code GET /} round trips on one kept-alive loopback connection for {@code duration}. */
    public static LatencySummary loopbackHttpRoundTrip(Duration duration) throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new EmptyResponder());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            Histogram h = LatencySummary.newHistogram();
            byte[] request = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            long start;
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                // Warm-up: connection, JIT, Netty's pooled buffers.
                for (int i = 0; i < 2000; i++) {
                    roundTrip(out, in, request, buf);
                }
                start = System.nanoTime();
                long end = start + duration.toNanos();
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    roundTrip(out, in, request, buf);
                    h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                }
            } finally {
                server.close().sync();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new LatencySummary("floor: empty HTTP round trip (loopback)", 1, h.getTotalCount(), 0, seconds, null, h);
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    /** Sends one request and reads until the end of the response head (the response has no body). */
    private static void roundTrip(OutputStream out, InputStream in, byte[] request, byte[] buf) throws IOException {
        out.write(request);
        out.flush();
        // The response has no body and nothing else is in flight, so whatever arrives belongs to it.
        int matched = 0;
        while (matched < 4) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed by the floor server");
            }
            for (int i = 0; i < n && matched < 4; i++) {
                byte b = buf[i];
                if (b == '\r') {
                    matched = (matched == 2) ? 3 : 1;
                } else if (b == '\n' && (matched == 1 || matched == 3)) {
                    matched++;
                } else {
                    matched = 0;
                }
            }
        }
    }

    private static final class EmptyResponder extends SimpleChannelInboundHandler<HttpObject> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof LastHttpContent) {
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            }
        }
    }
}
