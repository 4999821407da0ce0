package io.wcache.s3.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.checksum.ChecksumAlgorithm;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.SdkSigned;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

class S3RequestDecoderTest {
    static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
    static final SigV4Verifier VERIFIER = new SigV4Verifier(
            AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)), Clock.fixed(T, ZoneOffset.UTC));

    static EmbeddedChannel channel(long high, long low) {
        return new EmbeddedChannel(new S3RequestDecoder(new S3RequestParser(Set.of()), VERIFIER, high, low));
    }

    static byte[] payload(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** Writes the request as HttpServerCodec would deliver it, the body in pieces of {@code piece} bytes. */
    static void send(EmbeddedChannel ch, SdkSigned s, int piece) {
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(s.method()), s.uri(),
                new DefaultHttpHeaders().add(s.headers())));
        byte[] body = s.body() == null ? new byte[0] : s.body();
        for (int off = 0; off < body.length; off += piece) {
            int n = Math.min(piece, body.length - off);
            ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(body, off, n)));
        }
        ch.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    static List<S3Message> drain(EmbeddedChannel ch) {
        List<S3Message> out = new ArrayList<>();
        Object m;
        while ((m = ch.readInbound()) != null) {
            out.add((S3Message) m);
        }
        return out;
    }

    static byte[] payloadOf(List<S3Message> messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (S3Message m : messages) {
            if (m instanceof S3Message.Content c) {
                ByteBuf b = c.content();
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                out.writeBytes(bytes);
                c.release();
            }
        }
        return out.toByteArray();
    }

    @Test
    void signedChunkedPutStreamsAsHeadContentEnd() {
        EmbeddedChannel ch = channel(S3RequestDecoder.DEFAULT_HIGH_WATERMARK, S3RequestDecoder.DEFAULT_LOW_WATERMARK);
        byte[] p = payload(200_000);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/dir/key", Map.of(), p,
                new SdkSigned.Options(true, true, DefaultChecksumAlgorithm.CRC32C, SdkSigned.SECRET_KEY, T));
        send(ch, s, 8192);
        List<S3Message> msgs = drain(ch);
        assertThat(msgs.get(0)).isInstanceOfSatisfying(S3Message.Head.class, h -> {
            assertThat(h.request().operation()).isEqualTo(S3Operation.PUT_OBJECT);
            assertThat(h.request().key()).contains("dir/key");
            assertThat(h.auth().accessKey()).contains(SdkSigned.ACCESS_KEY);
        });
        assertThat(msgs.get(msgs.size() - 1)).isInstanceOfSatisfying(S3Message.End.class, e -> {
            assertThat(e.payload().length()).isEqualTo(p.length);
            assertThat(e.payload().checksum().orElseThrow().algorithm()).isEqualTo(ChecksumAlgorithm.CRC32C);
        });
        assertThat(msgs).allMatch(m -> m.requestId().equals(msgs.get(0).requestId()));
        assertThat(payloadOf(msgs)).isEqualTo(p);
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void badSignatureIsAnsweredWithAnS3ErrorAndTheConnectionClosed() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 10);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/key", Map.of(), payload(100),
                new SdkSigned.Options(true, false, null, "wrong-secret", T));
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, s.uri(),
                new DefaultHttpHeaders().add(s.headers())));
        assertThat(drain(ch)).isEmpty();
        FullHttpResponse resp = ch.readOutbound();
        assertThat(resp.status().code()).isEqualTo(403);
        assertThat(resp.headers().get("x-amz-request-id")).isNotEmpty();
        String xml = resp.content().toString(StandardCharsets.UTF_8);
        assertThat(xml).contains("<Code>SignatureDoesNotMatch</Code>", "<Resource>/bucket/key</Resource>");
        resp.release();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void corruptedChunkAfterTheHeadIsAFailedMessage() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 10);
        byte[] p = payload(1000);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/key", Map.of(), p,
                new SdkSigned.Options(true, true, null, SdkSigned.SECRET_KEY, T));
        byte[] body = s.body().clone();
        body[body.length / 2] ^= 0x20;
        send(ch, new SdkSigned(s.method(), s.uri(), s.headers(), body), 100);
        List<S3Message> msgs = drain(ch);
        assertThat(msgs.get(0)).isInstanceOf(S3Message.Head.class);
        assertThat(msgs.get(msgs.size() - 1)).isInstanceOfSatisfying(S3Message.Failed.class,
                f -> assertThat(f.error().code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        assertThat(msgs).noneMatch(m -> m instanceof S3Message.End);
        payloadOf(msgs);
        assertThat(ch.config().isAutoRead()).isTrue();
        // The connection stays usable for the next request.
        SdkSigned get = SdkSigned.sign(SdkHttpMethod.GET, "http://127.0.0.1:9000/bucket/key", Map.of(), null,
                SdkSigned.Options.plain(T));
        send(ch, get, 1);
        assertThat(drain(ch)).hasSize(2).last().isInstanceOf(S3Message.End.class);
    }

    @Test
    void unconsumedPayloadAboveTheHighWatermarkStopsReadingUntilConsumed() {
        EmbeddedChannel ch = channel(10_000, 2_000);
        byte[] p = payload(30_000);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/key", Map.of(), p,
                SdkSigned.Options.plain(T));
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, s.uri(),
                new DefaultHttpHeaders().add(s.headers())));
        S3Message.Head head = (S3Message.Head) ch.readInbound();
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(p, 0, 6_000)));
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(p, 6_000, 6_000)));
        assertThat(ch.config().isAutoRead()).as("12000 bytes outstanding > 10000").isFalse();
        head.flow().consumed(6_000);
        assertThat(ch.config().isAutoRead()).as("6000 outstanding, above the low watermark").isFalse();
        head.flow().consumed(5_000);
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(p, 12_000, p.length - 12_000)));
        List<S3Message> rest = drain(ch);
        assertThat(rest.get(rest.size() - 1)).isInstanceOf(S3Message.End.class);
        assertThat(head.flow().outstanding()).isZero();
        payloadOf(rest);
    }

    @Test
    void keepAliveRequestsAreDecodedInTurn() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 10);
        for (String key : new String[] {"a", "b", "c"}) {
            SdkSigned put = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/" + key, Map.of(),
                    key.getBytes(StandardCharsets.UTF_8), SdkSigned.Options.plain(T));
            send(ch, put, 1);
            List<S3Message> msgs = drain(ch);
            assertThat(((S3Message.Head) msgs.get(0)).request().key()).contains(key);
            assertThat(payloadOf(msgs)).isEqualTo(key.getBytes(StandardCharsets.UTF_8));
            assertThat(msgs.get(msgs.size() - 1)).isInstanceOf(S3Message.End.class);
        }
    }

    @Test
    void authenticatedUnsupportedSubresourceIsNotImplemented() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 10);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.GET, "http://127.0.0.1:9000/bucket?analytics", Map.of(), null,
                SdkSigned.Options.plain(T));
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, s.uri(),
                new DefaultHttpHeaders().add(s.headers())));
        assertThat(drain(ch)).isEmpty();
        FullHttpResponse resp = ch.readOutbound();
        assertThat(resp.status().code()).isEqualTo(501);
        assertThat(resp.content().toString(StandardCharsets.UTF_8)).contains("<Code>NotImplemented</Code>");
        resp.release();
    }

    @Test
    void tamperedSha256BodyFailsAtTheEnd() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 10);
        SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/key", Map.of(), payload(500),
                SdkSigned.Options.plain(T));
        byte[] body = s.body().clone();
        body[0] ^= 1;
        send(ch, new SdkSigned(s.method(), s.uri(), s.headers(), body), 64);
        List<S3Message> msgs = drain(ch);
        payloadOf(msgs);
        assertThat(msgs.get(msgs.size() - 1)).isInstanceOfSatisfying(S3Message.Failed.class,
                f -> assertThat(f.error().code()).isEqualTo(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH));
    }
}
