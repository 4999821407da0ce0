package io.wcache.s3.chunked;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.wcache.s3.auth.AuthResult;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.checksum.ChecksumSpec;
import io.wcache.s3.checksum.PayloadVerifier;
import io.wcache.s3.checksum.VerifiedPayload;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.SdkSigned;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.Set;

/** Runs a received request through parse, verify, aws-chunked decode and payload verification. */
final class ChunkedBodies {
    static final S3RequestParser PARSER = new S3RequestParser(Set.of("s3.local"));

    record Decoded(byte[] payload, Map<String, String> trailers, VerifiedPayload verified) {
    }

    private ChunkedBodies() {
    }

    /** Decodes {@code body} fed in pieces cut at {@code cuts} (ascending offsets). */
    static Decoded receive(SigV4Verifier verifier, SdkSigned s, byte[] body, int... cuts) {
        S3Request req = PARSER.parse(s.method(), s.uri(), s.headers());
        AuthResult auth = verifier.verify(req);
        AwsChunkedDecoder decoder = new AwsChunkedDecoder(auth.payloadMode(), auth.streamingSigner(),
                req.decodedContentLength());
        PayloadVerifier pv = new PayloadVerifier(req.contentMd5(), auth.expectedPayloadSha256(),
                ChecksumSpec.fromHeaders(req.headers()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AwsChunkedDecoder.PayloadSink sink = slice -> {
            try {
                pv.update(slice);
                byte[] b = new byte[slice.readableBytes()];
                slice.readBytes(b);
                out.writeBytes(b);
            } finally {
                slice.release();
            }
        };
        int from = 0;
        for (int cut : cuts) {
            feed(decoder, body, from, cut, sink);
            from = cut;
        }
        feed(decoder, body, from, body.length, sink);
        Map<String, String> trailers = decoder.finish();
        return new Decoded(out.toByteArray(), trailers, pv.finish(trailers));
    }

    private static void feed(AwsChunkedDecoder d, byte[] body, int from, int to, AwsChunkedDecoder.PayloadSink sink) {
        // A pooled-like buffer with a non-zero offset, so slicing arithmetic is exercised.
        ByteBuf buf = Unpooled.buffer(to - from + 7).writerIndex(7).readerIndex(7);
        buf.writeBytes(body, from, to - from);
        try {
            d.feed(buf, sink);
        } finally {
            buf.release();
        }
    }
}
