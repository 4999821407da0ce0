package io.wcache.worker.persist;

import io.wcache.logstore.LogStore;
import io.wcache.persister.async.LocalExtents;
import io.wcache.persister.async.PendingPersist;
import io.wcache.persister.async.PersistStats;
import io.wcache.persister.async.Persister;
import io.wcache.persister.async.PersisterConfig;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.pipeline.ChangeEvent;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.Catalog;
import io.wcache.worker.cache.ReaderPins;
import java.time.Duration;
import java.util.List;

/**
 * The worker's persister: the persister module's {@link Persister} (parallel, per-path ordered,
 * retried uploads) fed from the write pipeline's committed-event stream and the Catalog's persist
 * queue. It reads this worker's extents through the log store with the pipeline's extent
 * encoding, pins a version's extents while uploading them, and shares the worker's UFS clients.
 */
public final class AsyncPersister implements io.wcache.worker.Persister {

    private final Persister persister;
    private final PersisterConfig config;
    private final WritePipeline pipeline;
    private final Catalog catalog;

    public AsyncPersister(Catalog catalog, LogStore store, ReaderPins pins, UfsRouter ufs, WritePipeline pipeline,
                          PersisterConfig config) {
        this.config = config;
        this.pipeline = pipeline;
        this.catalog = catalog;
        this.persister = new Persister(catalog, withReaderPins(LocalExtents.of(store, config.owner()), pins), ufs,
                config);
        // Uploads that wait for a pause in writes watch every write, not only commits (a long one counts).
        persister.watchWrites(pipeline::publishedOps);
        persister.watchPinned(store::pinnedInUse, store.stats().pinnedCapBytes());
    }

    /**
     * {@code base} (this worker's log) with uploads pinning their version against the reader-pin
     * sweep; it answers {@link LocalExtents#worker()} as {@code base} does, so the persister claims
     * only uploads whose bytes this worker holds.
     */
    static LocalExtents withReaderPins(LocalExtents base, ReaderPins pins) {
        return base.withPins(pins::pin, pins::unpin);
    }

    /**
     * Subscribes to committed events and starts the persister; {@code period} is not used (the
     * config's poll interval is). From now on this worker's commits lease the uploads they queue to
     * this persister, which so starts them without a claim transaction of its own (docs/DECISIONS.md,
     * "An upload is leased by its commit").
     */
    @Override
    public void start(Duration period) {
        pipeline.subscribe(this::onEvent);
        persister.start();
        catalog.persistQueue().leaseUploadsAtCommit(config.owner(), config.lease());
    }

    private void onEvent(ChangeEvent event) {
        if (event instanceof ChangeEvent.CommittedEvent c) {
            persister.onCommitted(c.committed(), c.extents(), c.uploadLeasedUntil());
        } else if (event instanceof ChangeEvent.DeletedEvent d) {
            persister.onDeleted(d.result().tombstone());
        }
    }

    @Override
    public void replacedInUfs(io.wcache.core.path.NamespacePath path) {
        persister.replacedInUfs(path);
    }

    @Override
    public void queued() {
        persister.pollDurableQueue();
    }

    @Override
    public <T> T exclusive(io.wcache.core.path.NamespacePath path, java.util.function.Supplier<T> action) {
        return persister.exclusive(path, action);
    }

    /** For {@code wcadm async-persist stat}. */
    public PersistStats stats() {
        return persister.stats();
    }

    /** For {@code wcadm async-persist list}: at most {@code limit} rows in path order. */
    public List<PendingPersist> pending(int limit) {
        return persister.pending(limit);
    }

    public Persister persister() {
        return persister;
    }

    public PersisterConfig config() {
        return config;
    }

    @Override
    public void close() {
        catalog.persistQueue().leaseUploadsAtCommit(null, null);
        persister.close();
    }
}
