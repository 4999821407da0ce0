package io.wcache.worker;

/**
 * A client-facing endpoint a worker runs (the S3 server, a FUSE mount): started with the worker's
 * {@link io.wcache.core.cache.CacheService}, stopped before the worker's own parts close.
 */
public interface Frontend extends AutoCloseable {

    /** One line for the start-up log: what it serves and where. */
    String describe();

    @Override
    void close();

    /** Builds a frontend once the worker's parts are wired. */
    @FunctionalInterface
    interface Factory {
        Frontend start(Worker worker);
    }
}
