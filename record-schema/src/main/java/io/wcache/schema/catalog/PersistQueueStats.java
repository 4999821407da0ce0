package io.wcache.schema.catalog;

import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of the durable persist queue for {@code wcadm async-persist stat}: tasks pending in
 * total, those leased by a persister now, those waiting after at least one failed attempt, the
 * bytes still to upload, the failed attempts recorded so far and the oldest pending task's
 * enqueue time.
 */
public record PersistQueueStats(long pending, long leased, long retrying, long bytesPending, long failedAttempts,
                                Optional<Instant> oldestEnqueued) {
}
