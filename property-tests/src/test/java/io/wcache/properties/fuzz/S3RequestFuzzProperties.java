package io.wcache.properties.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.wcache.properties.support.Bounded;
import io.wcache.properties.support.SoakTries;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.PayloadMode;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.chunked.AwsChunkedDecoder;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.http.S3Message;
import io.wcache.s3.http.S3RequestDecoder;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.xml.S3XmlParser;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Arbitrary bytes at the S3 endpoint's edge: raw garbage and request-shaped messages with
 * hostile methods, URIs, headers and bodies go through Netty's {@code HttpServerCodec} and the
 * {@link S3RequestDecoder}, whole or split at arbitrary points. No exception ever escapes the
 * pipeline and nothing hangs; every response the decoder writes is an S3 XML error (or
 * {@code 100 Continue}); the only messages it passes on are {@link S3Message}s in the documented
 * order; and a complete request always gets an outcome: a parsed head or an error response. The
 * XML body parser and the aws-chunked decoder get the same treatment directly.
 */
@SoakTries
class S3RequestFuzzProperties {

    private static final java.util.regex.Pattern STATUS_LINE = java.util.regex.Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final Duration STEP = Duration.ofSeconds(10);

    /** A request-shaped input: rendered to bytes by {@link #bytes()}; {@code complete} when its framing is whole. */
    record RawRequest(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body,
                      boolean contentLength) {

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes((method + " " + uri + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, String> h : headers) {
                out.writeBytes((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            if (contentLength) {
                out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            out.writeBytes(body);
            return out.toByteArray();
        }

        /** Framing is whole: no header of its own that changes the body framing, and the body matches it. */
        boolean complete() {
            boolean framingHeader = headers.stream().anyMatch(h -> h.getKey().equalsIgnoreCase("content-length")
                    || h.getKey().equalsIgnoreCase("transfer-encoding"));
            return !framingHeader && (contentLength || body.length == 0);
        }

        @Override
        public String toString() {
            return new String(bytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static final List<String> HEADER_NAMES = List.of("Host", "Authorization", "x-amz-content-sha256",
            "x-amz-date", "Content-MD5", "Content-Encoding", "x-amz-decoded-content-length", "Range",
            "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "x-amz-trailer",
            "Expect", "x-amz-meta-a", "If-Match", "If-None-Match", "If-Modified-Since", "x-amz-copy-source",
            "x-amz-copy-source-range", "Content-Type", "x-amz-acl", "Transfer-Encoding", "Content-Length",
            "x-amz-metadata-directive");

    private static final List<String> HEADER_VALUES = List.of("", "UNSIGNED-PAYLOAD",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "aws-chunked",
            "chunked", "100-continue", "-1", "0", "99999999999999999999", "bytes=0-", "bytes=-5", "bytes=5-1",
            "bytes=0-1,3-4", "*", "\"abc\"", "20260102T030405Z", "Mon, 02 Jan 2026 03:04:05 GMT",
            "AWS4-HMAC-SHA256 Credential=k/20260102/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "AWS k:sig", "x-amz-checksum-crc32", "CRC32", "AAAAAA==", "1B2M2Y8AsgTpgAmY7PhCfg==", "/b/k", "/b/k?versionId=1",
            "=?UTF-8?B?w6k=?=", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    @Provide
    Arbitrary<RawRequest> requests() {
        Arbitrary<String> method = Arbitraries.oneOf(Arbitraries.of("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS",
                "PATCH"), Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(8));
        Arbitrary<String> pathChar = Arbitraries.strings().withChars("ab/%2F09?&=+ .~é\u0000\u00ffxuploadIdpartNumber")
                .ofMaxLength(40);
        Arbitrary<String> uri = Arbitraries.oneOf(
                pathChar.map(s -> "/" + s),
                Arbitraries.of("/", "/b", "/b/k", "/b/k?uploads", "/b/k?uploadId=x&partNumber=1", "/b?delete",
                        "/b?list-type=2&max-keys=-1&continuation-token=%ZZ", "/b/k?acl", "/b/%ff%fe", "/b/k?partNumber=0",
                        "/b?location", "/b?list-type=2&prefix=a&delimiter=/&start-after=z", "*",
                        "http://host/b/k", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=99999999"));
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of(HEADER_VALUES),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(30));
        Arbitrary<Map.Entry<String, String>> header = Combinators.combine(
                Arbitraries.oneOf(Arbitraries.of(HEADER_NAMES), Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6)),
                value).as(Map::entry);
        Arbitrary<byte[]> body = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                Arbitraries.of(
                        "5\r\nhello\r\n0\r\n\r\n",
                        "5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n",
                        "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
                        "ffffffffffffffff\r\nhello\r\n",
                        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Delete>&e;</Delete>",
                        "<Delete><Object><Key>a</Key></Object></Delete>",
                        "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part>"
                                + "<Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)));
        return Combinators.combine(method, uri, header.list().ofMaxSize(7), body, Arbitraries.of(true, false))
                .as(RawRequest::new);
    }

    @Property(tries = 400)
    void requestShapedInputsGetAnS3ErrorOrAParsedHead(@ForAll("requests") RawRequest request,
                                                       @ForAll boolean signatures,
                                                       @ForAll @IntRange(min = 1, max = 64) int piece) {
        Outcome o = Bounded.call("decoding " + request.method(), STEP, () -> feed(request.bytes(), signatures, piece));
        if (request.complete()) {
            assertThat(o.heads + o.errorResponses).as("a complete request gets a head or an error response").isPositive();
        }
    }

    @Property(tries = 300)
    void arbitraryBytesNeverEscapeTheDecoder(@ForAll byte[] garbage, @ForAll boolean signatures,
                                             @ForAll @IntRange(min = 1, max = 64) int piece) {
        Bounded.call("decoding garbage", STEP, () -> feed(garbage, signatures, piece));
    }

    /** What came out of the pipeline for one input. */
    record Outcome(int heads, int errorResponses) {
    }

    private static Outcome feed(byte[] input, boolean signatures, int piece) {
        AuthMode mode = signatures ? AuthMode.SigV4.of(Map.of("k", "secret")) : new AuthMode.None();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(),
                new S3RequestDecoder(new S3RequestParser(Set.of("s3.local")), new SigV4Verifier(mode, Clock.systemUTC())));
        List<Object> inbound = new ArrayList<>();
        List<Object> outbound = new ArrayList<>();
        try {
            for (int off = 0; off < input.length && ch.isOpen(); off += piece) {
                ch.writeInbound(Unpooled.wrappedBuffer(input, off, Math.min(piece, input.length - off)));
                ch.checkException();
                collect(ch, inbound, outbound);
            }
            ch.finish();
            collect(ch, inbound, outbound);
            return check(inbound, outbound);
        } finally {
            inbound.forEach(ReferenceCountUtil::release);
            outbound.forEach(ReferenceCountUtil::release);
        }
    }

    private static void collect(EmbeddedChannel ch, List<Object> inbound, List<Object> outbound) {
        Object m;
        while ((m = ch.readInbound()) != null) {
            inbound.add(m);
        }
        while ((m = ch.readOutbound()) != null) {
            outbound.add(m);
        }
    }

    private static Outcome check(List<Object> inbound, List<Object> outbound) {
        int heads = 0;
        boolean open = false;
        for (Object m : inbound) {
            if (m instanceof LastHttpContent last && !last.content().isReadable()) {
                // Emitted by the codec while the closed channel's pipeline is torn down, after the
                // decoder has been removed; a real server's pipeline tail drops it the same way.
                continue;
            }
            assertThat(m).as("only S3 messages leave the decoder").isInstanceOf(S3Message.class);
            if (m instanceof S3Message.Head) {
                assertThat(open).as("a head only after the previous request ended").isFalse();
                open = true;
                heads++;
            } else {
                assertThat(open).as("%s only inside a request", m.getClass().getSimpleName()).isTrue();
                if (m instanceof S3Message.End || m instanceof S3Message.Failed) {
                    open = false;
                }
            }
        }
        // The codec encodes each response as several buffers: read them as one byte stream.
        StringBuilder wire = new StringBuilder();
        for (Object m : outbound) {
            assertThat(m).as("the pipeline writes encoded bytes").isInstanceOf(ByteBuf.class);
            wire.append(((ByteBuf) m).toString(StandardCharsets.ISO_8859_1));
        }
        int errors = 0;
        String text = wire.toString();
        if (!text.isEmpty()) {
            assertThat(text).startsWith("HTTP/1.1 ");
        }
        java.util.regex.Matcher status = STATUS_LINE.matcher(text);
        while (status.find()) {
            int code = Integer.parseInt(status.group(1));
            if (code == 100) {
                continue;
            }
            assertThat(code).as("decoder responses are errors: %s", text).isBetween(400, 599);
            errors++;
        }
        if (errors > 0 && text.contains("<?xml")) {
            assertThat(text).contains("<Error><Code>");
        }
        return new Outcome(heads, errors);
    }

    @Property(tries = 300)
    void arbitraryXmlBodiesAreParsedOrRefusedWithAnS3Error(@ForAll("xmlBodies") byte[] body) {
        Bounded.run("xml parse", STEP, () -> {
            try {
                S3XmlParser.parseDelete(body);
            } catch (S3Exception expected) {
                assertThat(expected.error().httpStatus()).isBetween(400, 599);
            }
            try {
                S3XmlParser.parseCompleteMultipartUpload(body);
            } catch (S3Exception expected) {
                assertThat(expected.error().httpStatus()).isBetween(400, 599);
            }
        });
    }

    @Provide
    Arbitrary<byte[]> xmlBodies() {
        Arbitrary<String> tag = Arbitraries.of("Delete", "Object", "Key", "VersionId", "Quiet", "CompleteMultipartUpload",
                "Part", "PartNumber", "ETag", "x");
        Arbitrary<String> text = Arbitraries.strings().withChars("ab1-0&;<>\"'\u0000é\uD800").ofMaxLength(8);
        Arbitrary<String> fragment = Arbitraries.oneOf(tag.map(t -> "<" + t + ">"), tag.map(t -> "</" + t + ">"), text,
                Arbitraries.of("<?xml version=\"1.0\"?>", "<!DOCTYPE d [<!ENTITY x \"y\">]>", "&x;", "<![CDATA[z]]>",
                        "<!-- c -->", "&#0;", "&#x1F600;"));
        Arbitrary<byte[]> structured = fragment.list().ofMaxSize(20).map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(structured, Arbitraries.bytes().array(byte[].class).ofMaxSize(200));
    }

    @Property(tries = 300)
    void arbitraryAwsChunkedBodiesAreDecodedOrRefusedWithAnS3Error(@ForAll("chunkedBodies") byte[] body,
                                                                    @ForAll boolean trailer,
                                                                    @ForAll @IntRange(min = 1, max = 16) int piece) {
        Bounded.run("aws-chunked decode", STEP, () -> {
            AwsChunkedDecoder d = new AwsChunkedDecoder(trailer ? PayloadMode.STREAMING_UNSIGNED_TRAILER
                    : PayloadMode.STREAMING_UNSIGNED_TRAILER, Optional.empty(), OptionalLong.empty());
            try {
                for (int off = 0; off < body.length; off += piece) {
                    ByteBuf in = Unpooled.wrappedBuffer(body, off, Math.min(piece, body.length - off));
                    try {
                        d.feed(in, ByteBuf::release);
                    } finally {
                        in.release();
                    }
                }
                d.finish();
            } catch (S3Exception expected) {
                assertThat(expected.error().httpStatus()).isBetween(400, 599);
            }
        });
    }

    @Provide
    Arbitrary<byte[]> chunkedBodies() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("0", "5", "a", "ffffffff", "7fffffffffffffff", "-1", ";chunk-signature=", "\r\n", "\r", "\n",
                        "hello", "x-amz-checksum-crc32:", "AAAAAA==", ":", "x-amz-trailer-signature:00"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6));
        Arbitrary<byte[]> structured = piece.list().ofMaxSize(25).map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(structured, Arbitraries.bytes().array(byte[].class).ofMaxSize(200));
    }
}
