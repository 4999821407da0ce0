package io.wcache.worker;

import java.time.Duration;

/**
 * The seam where a persister plugs into a worker: something that uploads committed
 * {@code WRITE_BACK} versions and performs pending UFS deletes, from the Catalog's persist queue
 * (and, optionally, the pipeline's committed-event stream), and keeps a synchronous UFS write of
 * a path in order with them. The worker's is {@link io.wcache.worker.persist.AsyncPersister}.
 */
public interface Persister extends AutoCloseable {

    /**
     * Runs a synchronous UFS write of {@code path} ({@code WRITE_THROUGH}, {@code NO_CACHE}) with no upload or
     * delete of that path in flight, so an older queued upload cannot land after it. The default,
     * for persisters without per-path ordering, just runs it.
     */
    default <T> T exclusive(io.wcache.core.path.NamespacePath path, java.util.function.Supplier<T> action) {
        return action.get();
    }

    /**
     * A {@code NO_CACHE} write replaced the UFS object of {@code path} (inside {@link #exclusive})
     * and the Catalog dropped its older state: queued work of the path must not run after it.
     */
    default void replacedInUfs(io.wcache.core.path.NamespacePath path) {
    }

    /**
     * Work was queued in the Catalog without a committed event (a versioned bucket's delete marker,
     * restored or archived versions): look at the persist queue soon. The default waits for the next poll.
     */
    default void queued() {
    }

    /** Starts background work, polling the queue at least every {@code period}. */
    void start(Duration period);

    @Override
    void close();
}
