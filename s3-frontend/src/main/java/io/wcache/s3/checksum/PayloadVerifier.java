package io.wcache.s3.checksum;

import io.netty.buffer.ByteBuf;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Computes every digest a request body must match while it streams (MD5 when {@code Content-MD5}
 * names one; SHA-256 when {@code x-amz-content-sha256} does; the flexible checksum when one is
 * requested) and validates them once the body is complete. The ETag's MD5 is not computed here:
 * the write session that stores the bytes computes it, once. Until {@link #finish} returns, the
 * bytes seen are unverified and must not be committed. Not thread-safe: one per body.
 */
public final class PayloadVerifier {
    private final Optional<byte[]> contentMd5;
    private final Optional<String> expectedSha256Hex;
    private final Optional<ChecksumSpec> checksum;
    private final MessageDigest md5;
    private final MessageDigest sha256;
    private final IncrementalChecksum flexible;
    private long length;
    private boolean finished;

    /**
     * @param contentMd5Base64  the {@code Content-MD5} header, already validated as 16 bytes
     * @param expectedSha256Hex the hex SHA-256 from {@code x-amz-content-sha256}, when it is one
     * @param checksum          the flexible checksum requested, if any
     */
    public PayloadVerifier(Optional<String> contentMd5Base64, Optional<String> expectedSha256Hex,
                           Optional<ChecksumSpec> checksum) {
        this.contentMd5 = contentMd5Base64.map(v -> Base64.getDecoder().decode(v.trim()));
        this.expectedSha256Hex = expectedSha256Hex;
        this.checksum = checksum;
        this.md5 = contentMd5.isPresent() ? digest("MD5") : null;
        this.sha256 = expectedSha256Hex.isPresent() ? digest("SHA-256") : null;
        this.flexible = checksum.map(c -> c.algorithm().newChecksum()).orElse(null);
    }

    /** Adds the readable bytes of {@code payload} without changing its indexes or taking ownership. */
    public void update(ByteBuf payload) {
        if (finished) {
            throw new IllegalStateException("payload already finished");
        }
        int n = payload.readableBytes();
        if (n == 0) {
            return;
        }
        for (ByteBuffer b : payload.nioBuffers(payload.readerIndex(), n)) {
            if (md5 != null) {
                md5.update(b.duplicate());
            }
            if (sha256 != null) {
                sha256.update(b.duplicate());
            }
            if (flexible != null) {
                flexible.update(b.duplicate());
            }
        }
        length += n;
    }

    /** Adds bytes from an array (tests and small bodies). */
    public void update(byte[] b, int off, int len) {
        update(io.netty.buffer.Unpooled.wrappedBuffer(b, off, len));
    }

    /** Bytes seen so far. */
    public long length() {
        return length;
    }

    /**
     * Validates the digests of the complete body.
     *
     * @param trailers the aws-chunked trailers (lower-case names), empty when there were none
     * @throws S3Exception {@code XAmzContentSHA256Mismatch}, {@code BadDigest}, or
     *                     {@code InvalidRequest} when an announced checksum trailer is missing
     */
    public VerifiedPayload finish(Map<String, String> trailers) {
        if (finished) {
            throw new IllegalStateException("payload already finished");
        }
        finished = true;
        if (sha256 != null) {
            String actual = HexFormat.of().formatHex(sha256.digest());
            byte[] expected = expectedSha256Hex.get().toLowerCase(java.util.Locale.ROOT)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(actual.getBytes(java.nio.charset.StandardCharsets.US_ASCII), expected)) {
                throw new S3Exception(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH, null);
            }
        }
        if (md5 != null && !MessageDigest.isEqual(md5.digest(), contentMd5.get())) {
            throw new S3Exception(S3ErrorCode.BAD_DIGEST, null);
        }
        Optional<ChecksumValue> value = Optional.empty();
        if (checksum.isPresent()) {
            ChecksumSpec spec = checksum.get();
            byte[] computed = flexible.finish();
            Optional<String> expected = spec.expected();
            if (spec.inTrailer()) {
                String t = trailers.get(spec.algorithm().headerName());
                if (t == null) {
                    throw new S3Exception(S3ErrorCode.INVALID_REQUEST,
                            "The trailer " + spec.algorithm().headerName() + " announced in x-amz-trailer is missing");
                }
                ChecksumSpec.checkValue(spec.algorithm(), t);
                expected = Optional.of(t.trim());
            }
            if (expected.isPresent()
                    && !MessageDigest.isEqual(computed, Base64.getDecoder().decode(expected.get()))) {
                throw new S3Exception(S3ErrorCode.BAD_DIGEST,
                        "The " + spec.algorithm().s3Name() + " you specified did not match the calculated checksum.");
            }
            value = Optional.of(new ChecksumValue(spec.algorithm(), Base64.getEncoder().encodeToString(computed)));
        }
        return new VerifiedPayload(length, value);
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " is required by the Java platform", e);
        }
    }
}
