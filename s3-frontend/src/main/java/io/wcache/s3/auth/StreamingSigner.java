package io.wcache.s3.auth;

import java.util.Objects;

/**
 * The state needed to verify the chained signatures of an aws-chunked body: each chunk's
 * signature covers the previous signature (starting from the request's seed signature) and the
 * SHA-256 of the chunk data; a signed trailer is chained the same way. Holds the derived signing
 * key, never the secret.
 */
public final class StreamingSigner {
    private final byte[] signingKey;
    private final String timestamp;
    private final String scope;
    private final String seedSignature;

    public StreamingSigner(byte[] signingKey, String timestamp, String scope, String seedSignature) {
        this.signingKey = signingKey.clone();
        this.timestamp = Objects.requireNonNull(timestamp);
        this.scope = Objects.requireNonNull(scope);
        this.seedSignature = Objects.requireNonNull(seedSignature);
    }

    /** The request's signature, which the first chunk signature chains from. */
    public String seedSignature() {
        return seedSignature;
    }

    /** The expected signature of a chunk whose data hashes to {@code chunkSha256}. */
    public String chunkSignature(String previousSignature, byte[] chunkSha256) {
        String stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" + previousSignature
                + "\n" + SigV4Crypto.EMPTY_SHA256 + "\n" + SigV4Crypto.hex(chunkSha256);
        return SigV4Crypto.hex(SigV4Crypto.hmacSha256(signingKey, stringToSign));
    }

    /** The expected signature of the trailer block whose canonical form hashes to {@code trailerSha256}. */
    public String trailerSignature(String previousSignature, byte[] trailerSha256) {
        String stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope + "\n" + previousSignature
                + "\n" + SigV4Crypto.hex(trailerSha256);
        return SigV4Crypto.hex(SigV4Crypto.hmacSha256(signingKey, stringToSign));
    }
}
