package io.wcache.core.cache;

import java.util.List;
import java.util.Optional;

/**
 * One page of a merged listing: objects and common prefixes (both relative to the mount, sorted by
 * UTF-8 bytes), and the token for the next page (empty on the last page).
 */
public record ListResult(List<ObjectInfo> objects, List<String> commonPrefixes, Optional<String> continuation) {

    public ListResult {
        objects = List.copyOf(objects);
        commonPrefixes = List.copyOf(commonPrefixes);
    }

    public boolean truncated() {
        return continuation.isPresent();
    }
}
