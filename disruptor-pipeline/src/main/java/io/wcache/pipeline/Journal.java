package io.wcache.pipeline;

import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import java.util.List;

/**
 * The journal handler's view of the log store: append a batch, make it durable with one shared
 * sync, say when the Catalog records an appended location, and give back the space of records
 * that will never be referenced. {@link #of} adapts the
 * real {@link LogStore}; tests wrap it to inject faults.
 */
public interface Journal {

    List<Location> append(List<Chunk> chunks);

    void sync();

    void release(Location location);

    /** The Catalog now records an appended location (see {@link LogStore#published}). */
    void published(Location location);

    static Journal of(LogStore store) {
        return new Journal() {
            @Override
            public List<Location> append(List<Chunk> chunks) {
                return store.append(chunks);
            }

            @Override
            public void sync() {
                store.sync();
            }

            @Override
            public void release(Location location) {
                store.release(location);
            }

            @Override
            public void published(Location location) {
                store.published(List.of(location));
            }
        };
    }
}
