package io.wcache.fdb.embedded;

import java.util.Collection;
import java.util.List;

/**
 * Told of every commit of an {@link EmbeddedDatabase} (a group of transactions committed at one
 * version) after its writes became visible to new reads and before any of its transactions learns
 * that it committed: whoever acts on an acknowledged write therefore acts after the listener.
 * It runs on the thread that commits, holding the commit lock, so it must be quick, must not touch
 * the database and should not throw (an exception is logged and ignored).
 */
@FunctionalInterface
public interface CommitListener {

    /**
     * @param version       the commit version: a read at or above it sees the writes
     * @param keysWritten   every key the commit set or cleared one by one (read only)
     * @param rangesCleared every range it cleared, as {@code {begin, end}} (end exclusive)
     */
    void committed(long version, Collection<byte[]> keysWritten, List<byte[][]> rangesCleared);
}
