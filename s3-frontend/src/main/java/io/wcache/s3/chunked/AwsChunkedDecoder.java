package io.wcache.s3.chunked;

import io.netty.buffer.ByteBuf;
import io.wcache.s3.auth.PayloadMode;
import io.wcache.s3.auth.SigV4Crypto;
import io.wcache.s3.auth.StreamingSigner;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An incremental decoder of {@code aws-chunked} request bodies: feed it the body's buffers as
 * they arrive and it hands out the payload as slices of those buffers, never holding more than
 * one framing line. It verifies the chained chunk signatures (signed modes, when a
 * {@link StreamingSigner} is given), parses trailers ({@code x-amz-checksum-*}, the signed
 * {@code x-amz-trailer-signature}), and checks the decoded length against
 * {@code x-amz-decoded-content-length}.
 *
 * <p>Payload slices are handed out before their chunk's signature is checked (the signature
 * follows the data's end): they are provisional until {@link #finish()} returns, and a caller
 * must not commit a write before that. Not thread-safe: one decoder per body, driven by the
 * channel's event loop.
 */
public final class AwsChunkedDecoder {
    /** The longest framing line accepted (chunk header or trailer), CRLF excluded. */
    public static final int MAX_LINE = 4096;
    /** The most trailer lines accepted. */
    public static final int MAX_TRAILERS = 16;
    /**
     * S3's smallest signed chunk, except the last data chunk: every chunk costs an HMAC, so tiny
     * signed chunks would turn a body into a CPU-bound stream of signature checks.
     */
    public static final int MIN_SIGNED_CHUNK = 8192;

    /** Receives payload; it owns (and must release) each slice it is given. */
    @FunctionalInterface
    public interface PayloadSink {
        void accept(ByteBuf payload);
    }

    private enum State { HEADER, DATA, DATA_CR, DATA_LF, TRAILER, FINAL_LINE, DONE, FAILED }

    private final PayloadMode mode;
    private final StreamingSigner signer;
    private final long declaredLength;
    private final byte[] line = new byte[MAX_LINE];
    private final Map<String, String> trailers = new LinkedHashMap<>();
    private final StringBuilder canonicalTrailers = new StringBuilder();

    private State state = State.HEADER;
    private int lineLength;
    private boolean sawCr;
    private long chunkRemaining;
    private String chunkSignature;
    private String previousSignature;
    private MessageDigest chunkDigest;
    private long decoded;
    /** Size of the previous data chunk; -1 before the first. */
    private long previousChunkSize = -1;
    private S3Exception failure;

    /**
     * @param mode           a chunked payload mode
     * @param signer         verifies chunk signatures; empty skips verification ({@code none} auth)
     * @param declaredLength {@code x-amz-decoded-content-length}, when sent
     */
    public AwsChunkedDecoder(PayloadMode mode, Optional<StreamingSigner> signer, OptionalLong declaredLength) {
        if (!mode.chunked()) {
            throw new IllegalArgumentException("not an aws-chunked payload mode: " + mode);
        }
        this.mode = mode;
        this.signer = mode.signedChunks() ? signer.orElse(null) : null;
        this.previousSignature = this.signer == null ? null : this.signer.seedSignature();
        this.declaredLength = declaredLength.orElse(-1);
    }

    /**
     * Decodes the readable bytes of {@code in}, handing payload slices to {@code sink}. The
     * caller keeps ownership of {@code in}; its reader index is advanced past what was consumed
     * (all of it).
     *
     * @throws S3Exception on malformed framing, a bad signature or a length mismatch; the decoder
     *                     is then failed and repeats the same error
     */
    public void feed(ByteBuf in, PayloadSink sink) {
        Objects.requireNonNull(sink, "sink");
        if (failure != null) {
            throw failure;
        }
        try {
            decode(in, sink);
        } catch (S3Exception e) {
            state = State.FAILED;
            failure = e;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /**
     * Declares the end of the body.
     *
     * @return the trailers (lower-case names; the trailer signature excluded), empty when none
     * @throws S3Exception {@code IncompleteBody} when the body stopped before the final chunk or
     *                     short of the declared length
     */
    public Map<String, String> finish() {
        if (failure != null) {
            throw failure;
        }
        // Tolerate a body that ends right after the final chunk without the closing empty line.
        if (state == State.FINAL_LINE && lineLength == 0 && !sawCr) {
            state = State.DONE;
            checkLength();
        }
        if (state != State.DONE) {
            state = State.FAILED;
            failure = new S3Exception(S3ErrorCode.INCOMPLETE_BODY,
                    "The aws-chunked body ended before its final chunk");
            throw failure;
        }
        return Collections.unmodifiableMap(trailers);
    }

    /** Whether the final chunk (and trailers) have been read. */
    public boolean isComplete() {
        return state == State.DONE;
    }

    /** Payload bytes decoded so far. */
    public long decodedLength() {
        return decoded;
    }

    private void decode(ByteBuf in, PayloadSink sink) {
        while (in.isReadable()) {
            switch (state) {
                case HEADER, TRAILER, FINAL_LINE -> {
                    if (readLine(in)) {
                        String l = new String(line, 0, lineLength, StandardCharsets.ISO_8859_1);
                        lineLength = 0;
                        switch (state) {
                            case HEADER -> onChunkHeader(l);
                            case TRAILER -> onTrailerLine(l);
                            default -> onFinalLine(l);
                        }
                    }
                }
                case DATA -> {
                    int n = (int) Math.min(chunkRemaining, in.readableBytes());
                    if (chunkDigest != null) {
                        for (ByteBuffer b : in.nioBuffers(in.readerIndex(), n)) {
                            chunkDigest.update(b);
                        }
                    }
                    ByteBuf slice = in.retainedSlice(in.readerIndex(), n);
                    in.skipBytes(n);
                    chunkRemaining -= n;
                    decoded += n;
                    sink.accept(slice);
                    if (chunkRemaining == 0) {
                        verifyChunk();
                        state = State.DATA_CR;
                    }
                }
                case DATA_CR -> {
                    expectByte(in, '\r');
                    state = State.DATA_LF;
                }
                case DATA_LF -> {
                    expectByte(in, '\n');
                    state = State.HEADER;
                }
                case DONE -> throw malformed("data after the final chunk");
                case FAILED -> throw failure;
            }
        }
    }

    /** Accumulates one CRLF-terminated line; true when complete (in {@link #line}). */
    private boolean readLine(ByteBuf in) {
        while (in.isReadable()) {
            byte b = in.readByte();
            if (sawCr) {
                if (b != '\n') {
                    throw malformed("CR not followed by LF");
                }
                sawCr = false;
                return true;
            }
            if (b == '\r') {
                sawCr = true;
            } else if (b == '\n') {
                throw malformed("bare LF in a framing line");
            } else {
                if (lineLength == MAX_LINE) {
                    throw malformed("framing line longer than " + MAX_LINE + " bytes");
                }
                line[lineLength++] = b;
            }
        }
        return false;
    }

    private void onChunkHeader(String l) {
        int semi = l.indexOf(';');
        String sizeHex = (semi < 0 ? l : l.substring(0, semi)).trim();
        if (sizeHex.isEmpty() || sizeHex.length() > 15) {
            throw malformed("bad chunk size");
        }
        long size = 0;
        for (int i = 0; i < sizeHex.length(); i++) {
            int d = Character.digit(sizeHex.charAt(i), 16);
            if (d < 0 || sizeHex.charAt(i) > 'f') {
                throw malformed("bad chunk size");
            }
            size = (size << 4) | d;
        }
        chunkSignature = null;
        if (semi >= 0) {
            for (String ext : l.substring(semi + 1).split(";")) {
                int eq = ext.indexOf('=');
                String name = (eq < 0 ? ext : ext.substring(0, eq)).trim();
                if (name.equals("chunk-signature")) {
                    chunkSignature = eq < 0 ? "" : ext.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
                }
            }
        }
        if (mode.signedChunks() && chunkSignature == null) {
            throw malformed("a signed chunk has no chunk-signature");
        }
        if (mode.signedChunks() && size > 0 && previousChunkSize >= 0 && previousChunkSize < MIN_SIGNED_CHUNK) {
            throw new S3Exception(S3ErrorCode.INVALID_CHUNK_SIZE_ERROR, null);
        }
        previousChunkSize = size;
        if (declaredLength >= 0 && size > declaredLength - decoded) {
            throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                    "The aws-chunked body is longer than x-amz-decoded-content-length (" + declaredLength + ")");
        }
        chunkDigest = signer != null ? SigV4Crypto.newSha256() : null;
        chunkRemaining = size;
        if (size == 0) {
            verifyChunk();
            checkLength();
            state = mode.trailer() ? State.TRAILER : State.FINAL_LINE;
        } else {
            state = State.DATA;
        }
    }

    private void verifyChunk() {
        if (signer == null) {
            return;
        }
        String expected = signer.chunkSignature(previousSignature, chunkDigest.digest());
        if (!SigV4Crypto.signaturesEqual(expected, chunkSignature)) {
            throw new S3Exception(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH,
                    "The chunk signature we calculated does not match the signature you provided.");
        }
        previousSignature = expected;
    }

    private void checkLength() {
        if (declaredLength >= 0 && decoded != declaredLength) {
            throw new S3Exception(S3ErrorCode.INCOMPLETE_BODY,
                    "You did not provide the number of bytes specified by the x-amz-decoded-content-length"
                            + " header (" + decoded + " of " + declaredLength + ")");
        }
    }

    private void onTrailerLine(String l) {
        if (l.isEmpty()) {
            if (signer != null && mode.trailer()) {
                throw malformed("the signed trailer has no x-amz-trailer-signature");
            }
            state = State.DONE;
            return;
        }
        int colon = l.indexOf(':');
        if (colon <= 0) {
            throw malformed("bad trailer line");
        }
        String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = l.substring(colon + 1).trim();
        if (name.equals("x-amz-trailer-signature")) {
            if (signer != null) {
                byte[] hash = SigV4Crypto.sha256(canonicalTrailers.toString().getBytes(StandardCharsets.ISO_8859_1));
                String expected = signer.trailerSignature(previousSignature, hash);
                if (!SigV4Crypto.signaturesEqual(expected, value.toLowerCase(Locale.ROOT))) {
                    throw new S3Exception(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH,
                            "The trailer signature we calculated does not match the signature you provided.");
                }
                previousSignature = expected;
            }
            state = State.FINAL_LINE;
            return;
        }
        if (trailers.size() == MAX_TRAILERS) {
            throw malformed("more than " + MAX_TRAILERS + " trailers");
        }
        trailers.put(name, value);
        canonicalTrailers.append(name).append(':').append(value).append('\n');
    }

    private void onFinalLine(String l) {
        if (!l.isEmpty()) {
            throw malformed("expected the empty line that ends the body");
        }
        state = State.DONE;
    }

    private void expectByte(ByteBuf in, char c) {
        if (in.readByte() != c) {
            throw malformed("chunk data not followed by CRLF");
        }
    }

    private static S3Exception malformed(String detail) {
        return new S3Exception(S3ErrorCode.INVALID_REQUEST, "Malformed aws-chunked encoding: " + detail);
    }
}
