package io.wcache.persister.ufs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * An object's description with its first bytes, as one {@link UnderFileSystem#fetch} read them,
 * and the rest of its body when it is larger: one read of one version of the object. Close it to
 * give up the rest unread (the request is aborted, not drained).
 */
public final class UfsFetched implements AutoCloseable {

    private final UfsObject head;
    private final byte[] first;
    private final InputStream rest;

    /**
     * @param head  the object as {@link UnderFileSystem#head} describes it
     * @param first its first {@code min(size, maxBytes)} bytes
     * @param rest  the bytes after {@code first}, read by the same request (empty when {@code first} is whole)
     */
    public UfsFetched(UfsObject head, byte[] first, InputStream rest) {
        this.head = Objects.requireNonNull(head, "head");
        this.first = Objects.requireNonNull(first, "first");
        this.rest = Objects.requireNonNull(rest, "rest");
    }

    public UfsObject head() {
        return head;
    }

    public byte[] first() {
        return first;
    }

    /** Whether {@link #first} is the whole object. */
    public boolean whole() {
        return first.length == head.size();
    }

    /** The bytes after {@link #first}, to be read at most once; closing this closes it. */
    public InputStream rest() {
        return rest;
    }

    @Override
    public void close() {
        try {
            rest.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
