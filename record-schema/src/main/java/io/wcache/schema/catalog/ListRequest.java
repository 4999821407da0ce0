package io.wcache.schema.catalog;

import io.wcache.core.error.WcacheException;
import java.util.Optional;

/**
 * A listing of committed paths: those starting with {@code prefix} (a plain string over full
 * paths, such as {@code /s3/logs/20}), after {@code startAfter}, grouped into common prefixes at
 * the first {@code delimiter} after the prefix (an empty delimiter groups nothing), at most
 * {@code limit} entries (files plus common prefixes) per page, resuming from an opaque
 * continuation token of a previous page. With {@code objectsOnly}, the archived versions of versioned
 * buckets ({@code /<bucket>/.wcache-versions/...}) are left out unless the prefix is inside such an archive.
 */
public record ListRequest(String prefix, String delimiter, String startAfter, int limit, Optional<String> continuation,
                          boolean objectsOnly) {

    /** A listing of every committed path, a bucket's archived versions included. */
    public ListRequest(String prefix, String delimiter, String startAfter, int limit, Optional<String> continuation) {
        this(prefix, delimiter, startAfter, limit, continuation, false);
    }

    /** The same listing, leaving out each bucket's archived versions (S3 listings, FUSE directories). */
    public ListRequest objects() {
        return new ListRequest(prefix, delimiter, startAfter, limit, continuation, true);
    }

    /** The largest page a listing returns, so one listing stays one short transaction. */
    public static final int MAX_LIMIT = 10_000;

    public ListRequest {
        prefix = prefix == null ? "" : prefix;
        delimiter = delimiter == null ? "" : delimiter;
        startAfter = startAfter == null ? "" : startAfter;
        continuation = continuation == null ? Optional.empty() : continuation;
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new WcacheException.InvalidArgument("limit", "listing limit " + limit + " is out of range 1.." + MAX_LIMIT);
        }
        if (prefix.indexOf('\0') >= 0 || delimiter.indexOf('\0') >= 0 || startAfter.indexOf('\0') >= 0) {
            throw new WcacheException.InvalidArgument(prefix, "listing arguments must not contain NUL");
        }
    }

    public static ListRequest of(String prefix, String delimiter, int limit) {
        return new ListRequest(prefix, delimiter, "", limit, Optional.empty());
    }

    public ListRequest withContinuation(String token) {
        return new ListRequest(prefix, delimiter, startAfter, limit, Optional.of(token), objectsOnly);
    }
}
