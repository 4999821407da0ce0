package io.wcache.pipeline;

import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.space.PinnedReservation;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The pipeline's view of the log store: reserve pinned space for a write about to be accepted
 * (the {@link SegmentWriter}), append a batch, make it durable with one shared sync, say when the
 * Catalog records an appended location, and give back the space of records that will never be
 * referenced. {@link #of} adapts the
 * real {@link LogStore}; tests wrap it to inject faults.
 */
public interface Journal {

    /** Reserves pinned space for bytes about to be appended (see {@link LogStore#reservePinned}). */
    PinnedReservation reservePinned(long bytes);

    List<Location> append(List<Chunk> chunks);

    void sync();

    /**
     * Starts making what was appended so far durable without waiting for it: a long write's
     * records then reach the disk while the rest of it still arrives, and the sync at its commit
     * waits for the tail only. A hint: a journal may do nothing. A failure is not reported here;
     * the next {@link #sync()} reports it.
     */
    default void startSync() {
    }

    /**
     * Makes everything appended so far durable on another thread; the future completes when it is
     * (or fails with the sync's error). By default a sync on the calling thread.
     */
    default CompletableFuture<Void> syncAsync() {
        try {
            sync();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    void release(Location location);

    /** The Catalog now records an appended location (see {@link LogStore#published}). */
    void published(Location location);

    static Journal of(LogStore store) {
        return new Journal() {
            @Override
            public PinnedReservation reservePinned(long bytes) {
                return store.reservePinned(bytes);
            }

            @Override
            public List<Location> append(List<Chunk> chunks) {
                return store.append(chunks);
            }

            @Override
            public void sync() {
                store.sync();
            }

            @Override
            public CompletableFuture<Void> syncAsync() {
                return store.syncAsync();
            }

            @Override
            public void startSync() {
                // Its failure (the log then refuses every sync), or a closed store, is the next sync's to report.
                try {
                    store.syncAsync().exceptionally(e -> null);
                } catch (RuntimeException e) {
                    // nothing started
                }
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
