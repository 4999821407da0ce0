package io.wcache.core.config;

import java.util.Objects;

/**
 * One access key accepted by the S3 frontend's SigV4 check, and the S3 user it signs for: its
 * canonical {@code userId}, {@code displayName} and {@code email} (for grants by e-mail). A key
 * without a user id signs for the default owner, {@link #DEFAULT_USER_ID}, which owns every bucket
 * and object that has no owner of its own (docs/SECURITY.md). The secret is never printed:
 * {@link #toString()} shows the access key only.
 */
public record S3Credential(String accessKey, String secretKey, String userId, String displayName, String email) {

    /** The canonical id (and display name) of the default owner. */
    public static final String DEFAULT_USER_ID = "wcache";

    public S3Credential {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
        userId = userId == null || userId.isEmpty() ? DEFAULT_USER_ID : userId;
        displayName = displayName == null || displayName.isEmpty() ? userId : displayName;
        email = email == null ? "" : email;
    }

    /** A key of the default owner. */
    public S3Credential(String accessKey, String secretKey) {
        this(accessKey, secretKey, null, null, null);
    }

    @Override
    public String toString() {
        return "S3Credential[accessKey=" + accessKey + ", secretKey=***, userId=" + userId + "]";
    }
}
