package io.wcache.s3.chunked;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.PayloadMode;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.checksum.ChecksumAlgorithm;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.testing.SdkSigned;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

class AwsChunkedDecoderTest {
    static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
    static final SigV4Verifier VERIFIER = new SigV4Verifier(
            AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)), Clock.fixed(T, ZoneOffset.UTC));
    static final SigV4Verifier NONE = new SigV4Verifier(new AuthMode.None(), Clock.fixed(T, ZoneOffset.UTC));

    static byte[] payload(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    static SdkSigned signedChunked(byte[] payload, software.amazon.awssdk.checksums.spi.ChecksumAlgorithm checksum) {
        return SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/key", Map.of(), payload,
                new SdkSigned.Options(true, true, checksum, SdkSigned.SECRET_KEY, T));
    }

    static SdkSigned unsignedTrailer(byte[] payload, software.amazon.awssdk.checksums.spi.ChecksumAlgorithm checksum) {
        // The SDK only leaves the payload unsigned over TLS; nothing is sent, the scheme only shapes the signing.
        return SdkSigned.sign(SdkHttpMethod.PUT, "https://127.0.0.1:9000/bucket/key", Map.of(), payload,
                new SdkSigned.Options(false, true, checksum, SdkSigned.SECRET_KEY, T));
    }

    static S3Exception failure(SigV4Verifier v, SdkSigned s, byte[] body) {
        try {
            ChunkedBodies.receive(v, s, body);
        } catch (S3Exception e) {
            return e;
        }
        throw new AssertionError("body was accepted");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8191, 65536, 131072, 131073, 300_000})
    void signedChunksFromTheSdkDecodeToThePayload(int size) {
        byte[] p = payload(size);
        SdkSigned s = signedChunked(p, null);
        assertThat(s.headers().get("x-amz-content-sha256")).isEqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        ChunkedBodies.Decoded d = ChunkedBodies.receive(VERIFIER, s, s.body());
        assertThat(d.payload()).isEqualTo(p);
        assertThat(d.verified().length()).isEqualTo(size);
        assertThat(d.trailers()).isEmpty();
    }

    // SHA1/SHA256 are covered by the unsigned-trailer test below: when the SDK's standalone signer
    // signs a SHA trailer itself, it finishes the digest twice and sends or signs the empty-input
    // digest, so its output is not a valid request for any server.
    @ParameterizedTest
    @ValueSource(strings = {"CRC32", "CRC32C"})
    void signedChunksWithSignedChecksumTrailerFromTheSdkVerify(String alg) {
        byte[] p = payload(200_000);
        SdkSigned s = signedChunked(p, sdkAlgorithm(alg));
        assertThat(s.headers().get("x-amz-content-sha256")).isEqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
        ChunkedBodies.Decoded d = ChunkedBodies.receive(VERIFIER, s, s.body());
        assertThat(d.payload()).isEqualTo(p);
        ChecksumAlgorithm ours = ChecksumAlgorithm.valueOf(alg);
        assertThat(d.trailers()).containsKey(ours.headerName());
        assertThat(d.verified().checksum()).get().satisfies(c -> {
            assertThat(c.algorithm()).isEqualTo(ours);
            assertThat(c.base64()).isEqualTo(d.trailers().get(ours.headerName()));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"CRC32", "CRC32C", "SHA1", "SHA256"})
    void unsignedChunksWithChecksumTrailerFromTheSdkVerify(String alg) {
        byte[] p = payload(150_000);
        SdkSigned s = unsignedTrailer(p, sdkAlgorithm(alg));
        assertThat(s.headers().get("x-amz-content-sha256")).isEqualTo("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        ChunkedBodies.Decoded d = ChunkedBodies.receive(VERIFIER, s, s.body());
        assertThat(d.payload()).isEqualTo(p);
        assertThat(d.verified().checksum()).isPresent();
    }

    @Test
    void flippedPayloadByteInASignedChunkIsSignatureDoesNotMatch() {
        byte[] p = payload(1000);
        SdkSigned s = signedChunked(p, null);
        byte[] body = s.body().clone();
        int dataStart = indexOf(body, "\r\n".getBytes(), 0) + 2;
        body[dataStart + 500] ^= 1;
        S3Exception e = failure(VERIFIER, s, body);
        assertThat(e.code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        assertThat(e.error().message()).contains("chunk signature");
    }

    @Test
    void flippedPayloadByteUnderAnUnsignedTrailerIsBadDigest() {
        byte[] p = payload(1000);
        SdkSigned s = unsignedTrailer(p, DefaultChecksumAlgorithm.CRC32C);
        byte[] body = s.body().clone();
        int dataStart = indexOf(body, "\r\n".getBytes(), 0) + 2;
        body[dataStart + 10] ^= 0x40;
        S3Exception e = failure(VERIFIER, s, body);
        assertThat(e.code()).isEqualTo(S3ErrorCode.BAD_DIGEST);
        assertThat(e.error().message()).contains("CRC32C");
    }

    @Test
    void tamperedTrailerIsRejected() {
        byte[] p = payload(1000);
        SdkSigned s = signedChunked(p, DefaultChecksumAlgorithm.CRC32);
        String text = new String(s.body(), StandardCharsets.ISO_8859_1);
        String realCrc = text.substring(text.indexOf("x-amz-checksum-crc32:") + 21, text.indexOf("\r\nx-amz-trailer-signature"));
        String fakeCrc = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4});
        byte[] tampered = text.replace(realCrc, fakeCrc).getBytes(StandardCharsets.ISO_8859_1);
        assertThat(failure(VERIFIER, s, tampered).code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        // Without signature checks (auth none), the checksum itself still catches it.
        assertThat(failure(NONE, s, tampered).code()).isEqualTo(S3ErrorCode.BAD_DIGEST);
        byte[] badTrailerSig = text.replaceFirst("x-amz-trailer-signature:.", "x-amz-trailer-signature:0")
                .getBytes(StandardCharsets.ISO_8859_1);
        if (!java.util.Arrays.equals(badTrailerSig, s.body())) {
            assertThat(failure(VERIFIER, s, badTrailerSig).code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        }
    }

    @Test
    void reorderedOrReplayedChunksBreakTheSignatureChain() {
        // Two requests with the same payload: the chunks of one do not verify under the other's seed.
        byte[] p = payload(200_000);
        SdkSigned a = signedChunked(p, null);
        SdkSigned b = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/other", Map.of(), p,
                new SdkSigned.Options(true, true, null, SdkSigned.SECRET_KEY, T));
        assertThat(failure(VERIFIER, a, b.body()).code()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
    }

    @Test
    void truncatedBodyIsIncompleteBody() {
        byte[] p = payload(5000);
        SdkSigned s = signedChunked(p, null);
        byte[] body = s.body();
        for (int cut : new int[] {0, 10, body.length / 2, body.length - 90, body.length - 3}) {
            byte[] truncated = java.util.Arrays.copyOf(body, cut);
            assertThat(failure(VERIFIER, s, truncated).code()).as("cut at " + cut).isEqualTo(S3ErrorCode.INCOMPLETE_BODY);
        }
        // Only the closing empty line missing: every byte and the final signature were verified,
        // so the body is accepted (some clients omit it).
        byte[] noClosingLine = java.util.Arrays.copyOf(body, body.length - 2);
        assertThat(ChunkedBodies.receive(VERIFIER, s, noClosingLine).payload()).isEqualTo(p);
    }

    @Test
    void decodedLengthMismatchIsRefused() {
        byte[] p = payload(5000);
        SdkSigned s = signedChunked(p, null);
        s.headers().set("x-amz-decoded-content-length", "6000");
        // The declared length is signed, so check the decoder alone with signatures off.
        assertThat(failure(NONE, s, s.body()).code()).isEqualTo(S3ErrorCode.INCOMPLETE_BODY);
        s.headers().set("x-amz-decoded-content-length", "4000");
        assertThat(failure(NONE, s, s.body()).code()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
        s.headers().set("x-amz-decoded-content-length", "5000");
        assertThat(ChunkedBodies.receive(NONE, s, s.body()).payload()).isEqualTo(p);
    }

    @Test
    void malformedFramingIsAClearInvalidRequest() {
        for (String body : new String[] {
                "zz\r\nabc\r\n0\r\n\r\n",
                "3\r\nabcX\r\n0\r\n\r\n",
                "3\nabc\r\n0\r\n\r\n",
                "3\r\nabc\r\n0\r\n\r\nextra",
                "3\r\nabc\r\n0\r\nno-colon-trailer\r\n\r\n",
                "1".repeat(AwsChunkedDecoder.MAX_LINE + 1) + "\r\n",
                "fffffffffffffffff\r\n"}) {
            AwsChunkedDecoder d = new AwsChunkedDecoder(PayloadMode.STREAMING_UNSIGNED_TRAILER, Optional.empty(),
                    OptionalLong.empty());
            assertThatThrownBy(() -> {
                d.feed(Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1), slice -> slice.release());
                d.finish();
            }).as(body.length() > 40 ? body.substring(0, 40) : body)
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
                        assertThat(e.error().message()).startsWith("Malformed aws-chunked encoding");
                    });
        }
    }

    @Test
    void signedModeRequiresChunkSignatures() {
        AwsChunkedDecoder d = new AwsChunkedDecoder(PayloadMode.STREAMING_SIGNED, Optional.empty(), OptionalLong.empty());
        assertThatThrownBy(() -> d.feed(Unpooled.copiedBuffer("3\r\nabc\r\n", StandardCharsets.US_ASCII), x -> x.release()))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_REQUEST));
    }

    @Test
    void payloadSlicesShareTheInputBuffersWithoutCopying() {
        byte[] p = payload(4096);
        SdkSigned s = unsignedTrailer(p, DefaultChecksumAlgorithm.CRC32);
        AwsChunkedDecoder d = new AwsChunkedDecoder(PayloadMode.STREAMING_UNSIGNED_TRAILER, Optional.empty(),
                OptionalLong.of(p.length));
        var in = Unpooled.wrappedBuffer(s.body());
        java.util.List<io.netty.buffer.ByteBuf> slices = new java.util.ArrayList<>();
        d.feed(in, slices::add);
        assertThat(slices).isNotEmpty().allSatisfy(sl -> assertThat(sl.unwrap()).isSameAs(in.unwrap() == null ? in : in.unwrap()));
        assertThat(in.refCnt()).isEqualTo(1 + slices.size());
        slices.forEach(io.netty.buffer.ByteBuf::release);
        in.release();
        assertThat(d.finish()).containsKey("x-amz-checksum-crc32");
    }

    /** Re-frames a signed payload into chunks of the given sizes, each correctly signed in the chain. */
    static byte[] reframeSigned(SdkSigned s, byte[] p, int... sizes) {
        io.wcache.s3.request.S3Request req = ChunkedBodies.PARSER.parse(s.method(), s.uri(), s.headers());
        io.wcache.s3.auth.StreamingSigner signer = VERIFIER.verify(req).streamingSigner().orElseThrow();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        String prev = signer.seedSignature();
        int off = 0;
        for (int i = 0; off <= p.length; i++) {
            int n = off == p.length ? 0 : Math.min(sizes[Math.min(i, sizes.length - 1)], p.length - off);
            String sig = signer.chunkSignature(prev,
                    io.wcache.s3.auth.SigV4Crypto.sha256(java.util.Arrays.copyOfRange(p, off, off + n)));
            out.writeBytes((Integer.toHexString(n) + ";chunk-signature=" + sig + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(p, off, n);
            out.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            prev = sig;
            off += n;
            if (n == 0) {
                break;
            }
        }
        return out.toByteArray();
    }

    @Test
    void signedChunksSmallerThan8KiBAreRefusedExceptTheLast() {
        byte[] p = payload(3 * 8192 + 5);
        SdkSigned s = signedChunked(p, null);
        // Full-size chunks and a short last one: accepted.
        assertThat(ChunkedBodies.receive(VERIFIER, s, reframeSigned(s, p, 8192)).payload()).isEqualTo(p);
        // Correctly signed 1-byte chunks: each costs an HMAC; S3 refuses them.
        S3Exception e = failure(VERIFIER, s, reframeSigned(s, p, 1));
        assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_CHUNK_SIZE_ERROR);
        assertThat(e.error().httpStatus()).isEqualTo(403);
        assertThat(failure(VERIFIER, s, reframeSigned(s, p, 8192, 8191, 8192)).code())
                .isEqualTo(S3ErrorCode.INVALID_CHUNK_SIZE_ERROR);
    }

    static software.amazon.awssdk.checksums.spi.ChecksumAlgorithm sdkAlgorithm(String name) {
        return switch (name) {
            case "CRC32" -> DefaultChecksumAlgorithm.CRC32;
            case "CRC32C" -> DefaultChecksumAlgorithm.CRC32C;
            case "SHA1" -> DefaultChecksumAlgorithm.SHA1;
            case "SHA256" -> DefaultChecksumAlgorithm.SHA256;
            default -> throw new IllegalArgumentException(name);
        };
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
