package io.wcache.s3.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a successful authentication: who signed (empty in {@code none} mode or for a
 * request that carried no signature there), how the body is protected, the SHA-256 the body must
 * hash to (for {@link PayloadMode#SHA256}) and, for signed chunked bodies, the signer that verifies
 * each chunk.
 */
public record AuthResult(Optional<String> accessKey, PayloadMode payloadMode,
                         Optional<String> expectedPayloadSha256, Optional<StreamingSigner> streamingSigner) {
    public AuthResult {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(payloadMode, "payloadMode");
        Objects.requireNonNull(expectedPayloadSha256, "expectedPayloadSha256");
        Objects.requireNonNull(streamingSigner, "streamingSigner");
    }
}
