package io.wcache.core.config;

import java.util.Objects;

/**
 * One access key accepted by the S3 frontend's SigV4 check. The secret is never printed:
 * {@link #toString()} shows the access key only.
 */
public record S3Credential(String accessKey, String secretKey) {

    public S3Credential {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
    }

    @Override
    public String toString() {
        return "S3Credential[accessKey=" + accessKey + ", secretKey=***]";
    }
}
