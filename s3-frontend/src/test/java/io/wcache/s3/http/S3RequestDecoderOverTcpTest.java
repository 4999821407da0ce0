package io.wcache.s3.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.SdkSigned;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The decoder behind a real Netty server on 127.0.0.1, driven by the real S3 client: uploads
 * stream through with {@code 100-continue}, slow consumption throttles the socket without losing
 * or reordering bytes, and rejected requests reach the client as S3 errors.
 */
class S3RequestDecoderOverTcpTest {
    static EventLoopGroup group;
    static Channel server;
    static ExecutorService slowConsumer;
    static final AtomicBoolean sawReadingPaused = new AtomicBoolean();
    static volatile byte[] lastMd5;
    static volatile Map<String, String> lastMetadata;

    /** Stands in for the future CacheService handler: hashes what it is given, slowly, off the event loop. */
    static final class SlowSink extends SimpleChannelInboundHandler<S3Message> {
        private MessageDigest md5;
        private S3Message.Head head;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, S3Message msg) throws Exception {
            if (msg instanceof S3Message.Head h) {
                head = h;
                lastMetadata = h.request().userMetadata();
                md5 = MessageDigest.getInstance("MD5");
            } else if (msg instanceof S3Message.Content c) {
                if (!ctx.channel().config().isAutoRead()) {
                    sawReadingPaused.set(true);
                }
                c.retain();
                MessageDigest digest = md5;
                PayloadFlow flow = head.flow();
                slowConsumer.execute(() -> {
                    try {
                        int n = c.content().readableBytes();
                        digest.update(c.content().nioBuffer());
                        Thread.sleep(0, 200_000);
                        flow.consumed(n);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        c.release();
                    }
                });
            } else if (msg instanceof S3Message.End e) {
                MessageDigest digest = md5;
                slowConsumer.execute(() -> {
                    lastMd5 = digest.digest();
                    String etag = "\"" + java.util.HexFormat.of().formatHex(lastMd5) + "\"";
                    ctx.executor().execute(() -> {
                        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                Unpooled.EMPTY_BUFFER);
                        resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.ETAG, etag)
                                .set("x-amz-request-id", e.requestId());
                        e.payload().checksum().ifPresent(cv -> resp.headers().set(cv.algorithm().headerName(), cv.base64()));
                        ctx.writeAndFlush(resp);
                    });
                });
            } else if (msg instanceof S3Message.Failed f) {
                ctx.writeAndFlush(S3RequestDecoder.errorResponse(f.error(), f.requestId(),
                        head.request().method().equals("HEAD")));
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        group = new NioEventLoopGroup(1);
        slowConsumer = Executors.newSingleThreadExecutor();
        SigV4Verifier verifier = new SigV4Verifier(AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)),
                Clock.systemUTC());
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(),
                                new S3RequestDecoder(new S3RequestParser(Set.of()), verifier, 256 << 10, 64 << 10),
                                new SlowSink());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        slowConsumer.shutdownNow();
    }

    static S3Client client(String secret) {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return S3Client.builder().region(Region.US_EAST_1).forcePathStyle(true)
                .endpointOverride(URI.create("http://127.0.0.1:" + port))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(SdkSigned.ACCESS_KEY, secret)))
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(60)).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    @Test
    void largeUploadStreamsThroughWithBackpressureAndIntactBytes() throws Exception {
        byte[] payload = new byte[8 << 20];
        new Random(7).nextBytes(payload);
        try (S3Client s3 = client(SdkSigned.SECRET_KEY)) {
            var resp = s3.putObject(r -> r.bucket("bucket").key("big.bin"), RequestBody.fromBytes(payload));
            byte[] md5 = MessageDigest.getInstance("MD5").digest(payload);
            assertThat(resp.eTag()).isEqualTo("\"" + HexFormat.of().formatHex(md5) + "\"");
            assertThat(lastMd5).isEqualTo(md5);
            assertThat(sawReadingPaused).as("reading was paused while the consumer lagged").isTrue();
            var part = s3.uploadPart(r -> r.bucket("bucket").key("big.bin").uploadId("u1").partNumber(1)
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromBytes(payload));
            assertThat(part.checksumCRC32C()).isNotEmpty();
        }
    }

    @Test
    void latin1MetadataFromTheJavaSdkArrivesIntact() {
        // The SDK's Apache client writes each header char as one byte, so only ISO-8859-1 text
        // survives the wire; RFC 2047 encoded-words carry the rest.
        String encoded = io.wcache.s3.request.UserMetadata.encodeValue("Zürich ☃");
        try (S3Client s3 = client(SdkSigned.SECRET_KEY)) {
            s3.putObject(r -> r.bucket("bucket").key("meta").metadata(Map.of("city", "Zürich café", "plain", "x y",
                            "snow", encoded)),
                    RequestBody.fromBytes(new byte[] {1, 2, 3}));
            assertThat(lastMetadata).containsEntry("city", "Zürich café").containsEntry("plain", "x y")
                    .containsEntry("snow", "Zürich ☃");
        }
    }

    @Test
    void wrongSecretReachesTheClientAsSignatureDoesNotMatch() {
        try (S3Client s3 = client("not-the-secret")) {
            assertThatThrownBy(() -> s3.putObject(r -> r.bucket("bucket").key("k"), RequestBody.fromBytes(new byte[1 << 20])))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
                    });
        }
    }
}
