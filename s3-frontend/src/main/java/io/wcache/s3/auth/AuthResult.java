package io.wcache.s3.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a successful authentication: who signed (empty in {@code none} mode or for a
 * request that carried no signature), the {@link S3User} the request acts for
 * ({@link S3User#ANONYMOUS} for an unsigned request in {@code sigv4} mode, which only an ACL granting
 * {@code AllUsers} lets through), how the body is protected, the SHA-256 the body must hash to (for
 * {@link PayloadMode#SHA256}) and, for signed chunked bodies, the signer that verifies each chunk.
 */
public record AuthResult(Optional<String> accessKey, PayloadMode payloadMode,
                         Optional<String> expectedPayloadSha256, Optional<StreamingSigner> streamingSigner,
                         S3User user) {
    public AuthResult {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(payloadMode, "payloadMode");
        Objects.requireNonNull(expectedPayloadSha256, "expectedPayloadSha256");
        Objects.requireNonNull(streamingSigner, "streamingSigner");
        Objects.requireNonNull(user, "user");
    }

    /** A result acting for the default owner. */
    public AuthResult(Optional<String> accessKey, PayloadMode payloadMode,
                      Optional<String> expectedPayloadSha256, Optional<StreamingSigner> streamingSigner) {
        this(accessKey, payloadMode, expectedPayloadSha256, streamingSigner, S3User.DEFAULT);
    }

    public AuthResult withUser(S3User u) {
        return new AuthResult(accessKey, payloadMode, expectedPayloadSha256, streamingSigner, u);
    }
}
