package io.wcache.persister.ufs;

import java.util.Objects;

/**
 * An object's description with its first bytes, as one {@link UnderFileSystem#fetch} read them.
 *
 * @param head  the object as {@link UnderFileSystem#head} describes it
 * @param first its first {@code min(size, maxBytes)} bytes
 */
public record UfsFetched(UfsObject head, byte[] first) {

    public UfsFetched {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(first, "first");
    }

    /** Whether {@link #first} is the whole object. */
    public boolean whole() {
        return first.length == head.size();
    }
}
