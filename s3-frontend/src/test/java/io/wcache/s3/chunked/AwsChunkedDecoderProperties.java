package io.wcache.s3.chunked;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.wcache.s3.auth.PayloadMode;
import io.wcache.s3.checksum.ChecksumAlgorithm;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.testing.SdkSigned;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;

class AwsChunkedDecoderProperties {

    @Example
    void sdkSignedBodySplitAtEveryByteBoundaryDecodesIdentically() {
        byte[] p = AwsChunkedDecoderTest.payload(700);
        SdkSigned s = AwsChunkedDecoderTest.signedChunked(p, DefaultChecksumAlgorithm.CRC32C);
        byte[] body = s.body();
        for (int cut = 0; cut <= body.length; cut++) {
            ChunkedBodies.Decoded d = ChunkedBodies.receive(AwsChunkedDecoderTest.VERIFIER, s, body, cut);
            assertThat(d.payload()).as("cut at %d", cut).isEqualTo(p);
            assertThat(d.verified().checksum()).isPresent();
        }
    }

    @Example
    void sdkSignedBodyFedOneByteAtATimeDecodes() {
        byte[] p = AwsChunkedDecoderTest.payload(300);
        SdkSigned s = AwsChunkedDecoderTest.signedChunked(p, null);
        int[] cuts = new int[s.body().length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertThat(ChunkedBodies.receive(AwsChunkedDecoderTest.VERIFIER, s, s.body(), cuts).payload()).isEqualTo(p);
    }

    @Property(tries = 300)
    void anyChunkingAndAnySplitDecodesToThePayload(@ForAll @Size(max = 3000) byte[] payload,
                                                   @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 700) Integer> chunkSizes,
                                                   @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 5000) Integer> splits) {
        byte[] body = unsignedTrailerBody(payload, chunkSizes);
        AwsChunkedDecoder d = new AwsChunkedDecoder(PayloadMode.STREAMING_UNSIGNED_TRAILER, Optional.empty(),
                OptionalLong.of(payload.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] cuts = splits.stream().mapToInt(i -> Math.min(i, body.length)).sorted().toArray();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : body.length;
            d.feed(Unpooled.wrappedBuffer(body, from, to - from), slice -> {
                byte[] b = new byte[slice.readableBytes()];
                slice.readBytes(b);
                slice.release();
                out.writeBytes(b);
            });
            from = to;
        }
        Map<String, String> trailers = d.finish();
        assertThat(out.toByteArray()).isEqualTo(payload);
        assertThat(trailers.get("x-amz-checksum-crc32")).isEqualTo(crc32Base64(payload));
    }

    @Property(tries = 1000)
    void arbitraryBytesOnlyEverFailWithATypedError(@ForAll("bodies") byte[] body,
                                                   @ForAll PayloadMode mode,
                                                   @ForAll @IntRange(min = 1, max = 64) int pieceSize) {
        if (!mode.chunked()) {
            return;
        }
        AwsChunkedDecoder d = new AwsChunkedDecoder(mode, Optional.empty(), OptionalLong.empty());
        try {
            for (int off = 0; off < body.length; off += pieceSize) {
                d.feed(Unpooled.wrappedBuffer(body, off, Math.min(pieceSize, body.length - off)), slice -> slice.release());
            }
            d.finish();
        } catch (S3Exception expected) {
            // the only failure allowed
        }
    }

    @Property(tries = 500)
    void mutatedValidBodiesFailTypedOrDecode(@ForAll @Size(max = 500) byte[] payload,
                                             @ForAll @IntRange(min = 0, max = 100_000) int position,
                                             @ForAll byte xor) {
        byte[] body = unsignedTrailerBody(payload, List.of(97, 13));
        body[position % body.length] ^= xor;
        AwsChunkedDecoder d = new AwsChunkedDecoder(PayloadMode.STREAMING_UNSIGNED_TRAILER, Optional.empty(),
                OptionalLong.of(payload.length));
        try {
            d.feed(Unpooled.wrappedBuffer(body), slice -> slice.release());
            d.finish();
        } catch (S3Exception expected) {
            // the only failure allowed
        }
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> framingLike = Arbitraries.of("0", "1", "a", "f", "\r", "\n", "\r\n", ";", "=", ":",
                        "chunk-signature=", "x-amz-checksum-crc32:", "x-amz-trailer-signature:", "fffffffffffff", "zz", "  ")
                .list().ofMaxSize(40)
                .map(parts -> String.join("", parts).getBytes(StandardCharsets.ISO_8859_1));
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(300), framingLike);
    }

    /** Encodes a payload the way {@code STREAMING-UNSIGNED-PAYLOAD-TRAILER} clients do, with a CRC32 trailer. */
    static byte[] unsignedTrailerBody(byte[] payload, List<Integer> chunkSizes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int off = 0;
        int i = 0;
        while (off < payload.length) {
            int n = Math.min(chunkSizes.get(i++ % chunkSizes.size()), payload.length - off);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload, off, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            off += n;
        }
        out.writeBytes(("0\r\nx-amz-checksum-crc32:" + crc32Base64(payload) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    static String crc32Base64(byte[] payload) {
        var c = ChecksumAlgorithm.CRC32.newChecksum();
        c.update(payload, 0, payload.length);
        return Base64.getEncoder().encodeToString(c.finish());
    }
}
