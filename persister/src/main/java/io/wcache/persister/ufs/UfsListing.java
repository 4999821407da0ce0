package io.wcache.persister.ufs;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing, in S3 semantics: objects and common prefixes together are sorted by key
 * (UTF-8 byte order) and together hold at most {@code maxKeys} entries.
 *
 * @param objects            the objects of this page
 * @param commonPrefixes     the prefixes rolled up at the delimiter, each ending with it
 * @param nextContinuation   the opaque token for the next page; {@code null} on the last page
 */
public record UfsListing(List<UfsObject> objects, List<String> commonPrefixes, String nextContinuation) {

    public UfsListing {
        objects = List.copyOf(objects);
        commonPrefixes = List.copyOf(commonPrefixes);
    }

    /** Whether more entries follow this page. */
    public boolean truncated() {
        return nextContinuation != null;
    }

    /** The continuation token for the next page, if any. */
    public Optional<String> continuation() {
        return Optional.ofNullable(nextContinuation);
    }

    static UfsListing empty() {
        return new UfsListing(List.of(), List.of(), null);
    }

    static void requireValidMaxKeys(int maxKeys) {
        if (maxKeys < 1) {
            throw new io.wcache.core.error.WcacheException.InvalidArgument(String.valueOf(maxKeys), "maxKeys must be at least 1");
        }
    }
}
