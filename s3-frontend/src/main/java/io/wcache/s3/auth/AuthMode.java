package io.wcache.s3.auth;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the S3 endpoint authenticates requests: {@link None} accepts any request, signed or not
 * (local use only), {@link SigV4} verifies AWS Signature Version 4 against configured keys.
 */
public sealed interface AuthMode {

    /** S3's tolerance between the request time and the server clock. */
    Duration DEFAULT_MAX_SKEW = Duration.ofMinutes(15);

    /** Accept anything; signatures, if sent, are not checked. Payload hashes still are. */
    record None() implements AuthMode {
    }

    /**
     * Verify SigV4.
     *
     * @param secretsByAccessKey the secret key of each accepted access key
     * @param region             when present, the only region accepted in credential scopes;
     *                           when empty, any region is accepted (clients default to {@code us-east-1})
     * @param maxSkew            the largest accepted difference between request time and server time
     */
    record SigV4(Map<String, String> secretsByAccessKey, Optional<String> region, Duration maxSkew,
                 Map<String, S3User> usersByAccessKey)
            implements AuthMode {
        public SigV4 {
            secretsByAccessKey = Map.copyOf(secretsByAccessKey);
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(maxSkew, "maxSkew");
            usersByAccessKey = Map.copyOf(usersByAccessKey);
        }

        /** Every key signs for the default owner. */
        public SigV4(Map<String, String> secretsByAccessKey, Optional<String> region, Duration maxSkew) {
            this(secretsByAccessKey, region, maxSkew, Map.of());
        }

        /** The user a key signs for: its configured one, else the default owner. */
        public S3User user(String accessKey) {
            return usersByAccessKey.getOrDefault(accessKey, S3User.DEFAULT);
        }

        /** The same keys, each signing for the given user (keys not named sign for the default owner). */
        public SigV4 withUsers(Map<String, S3User> users) {
            return new SigV4(secretsByAccessKey, region, maxSkew, users);
        }

        /** Keys with any region and S3's 15-minute skew. */
        public static SigV4 of(Map<String, String> secretsByAccessKey) {
            return new SigV4(secretsByAccessKey, Optional.empty(), DEFAULT_MAX_SKEW);
        }
    }
}
