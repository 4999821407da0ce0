package io.wcache.schema.catalog;

import java.time.Duration;
import java.util.Objects;

/**
 * The lease a {@code WRITE_BACK} commit writes on the upload it queues, for the persister of the
 * worker that committed it ({@link PersistQueue#leaseUploadsAtCommit}).
 */
record CommitLease(String owner, Duration lease) {
    CommitLease {
        Objects.requireNonNull(owner, "owner");
        if (owner.isEmpty() || lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a commit lease needs an owner and a positive duration");
        }
    }
}
