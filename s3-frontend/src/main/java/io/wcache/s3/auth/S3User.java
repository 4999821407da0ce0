package io.wcache.s3.auth;

import java.util.Objects;

/**
 * Who a request acts for: an S3 user (canonical {@code id}, display name and e-mail, from the
 * signing key's entry in {@code s3.credentials}), or {@link #ANONYMOUS} for a request that carried
 * no signature (allowed only where an ACL grants {@code AllUsers}; docs/SECURITY.md).
 */
public record S3User(String id, String displayName, String email) {
    /** The owner of every bucket and object without an owner of its own, and of keys without a user id. */
    public static final S3User DEFAULT = new S3User("wcache", "wcache", "");
    /** An unsigned request. */
    public static final S3User ANONYMOUS = new S3User("", "", "");

    public S3User {
        Objects.requireNonNull(id, "id");
        displayName = displayName == null ? "" : displayName;
        email = email == null ? "" : email;
    }

    public boolean anonymous() {
        return id.isEmpty();
    }
}
