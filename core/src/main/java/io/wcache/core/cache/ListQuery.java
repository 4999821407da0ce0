package io.wcache.core.cache;

import io.wcache.core.path.NamespacePath;
import java.util.Objects;
import java.util.Optional;

/**
 * A listing inside one mount: keys (paths relative to the mount) that start with
 * {@code prefix}, sort after {@code startAfter}, grouped at the first {@code delimiter} after the
 * prefix (any string; empty groups nothing), at most {@code maxKeys} entries (objects plus common
 * prefixes), continuing from an opaque token of a previous page.
 */
public record ListQuery(NamespacePath mount, String prefix, String delimiter, String startAfter, int maxKeys,
                        Optional<String> continuation) {

    public ListQuery {
        Objects.requireNonNull(mount, "mount");
        prefix = prefix == null ? "" : prefix;
        delimiter = delimiter == null ? "" : delimiter;
        startAfter = startAfter == null ? "" : startAfter;
        continuation = continuation == null ? Optional.empty() : continuation;
    }
}
