package io.wcache.worker.persist;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PersistOutcome;
import io.wcache.schema.catalog.PersistTask;
import io.wcache.schema.catalog.TaskKind;
import io.wcache.worker.cache.ReaderPins;
import io.wcache.persister.ufs.UfsRouter;
import java.util.List;
import io.wcache.core.path.NamespacePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads committed file versions from the log store to the UFS and records the result: the
 * synchronous path {@code WRITE_THROUGH} uses before acknowledging, and the unit of work of any
 * persister ({@link #perform(PersistTask)} runs one claimed persist task: upload, then
 * {@code Catalog.markPersisted} and pinned-to-evictable in the log store; or the UFS delete of a
 * tombstoned path). The version's extents are pinned against release while they are read.
 */
public final class FileUploader {

    private static final Logger LOG = LoggerFactory.getLogger(FileUploader.class);

    private final Catalog catalog;
    private final LogStore store;
    private final UfsRouter ufs;
    private final ReaderPins pins;
    // Totals since start for `wcadm async-persist stat` and /metrics; uploads of superseded versions do not count.
    private final java.util.concurrent.atomic.LongAdder persistedFiles = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder persistedBytes = new java.util.concurrent.atomic.LongAdder();

    /** This worker's extents in the log store, as the upload bodies read them. */
    private final io.wcache.persister.async.LocalExtents local;

    public FileUploader(Catalog catalog, LogStore store, String workerId, UfsRouter ufs, ReaderPins pins) {
        this.catalog = catalog;
        this.store = store;
        this.local = io.wcache.persister.async.LocalExtents.of(store, workerId);
        this.ufs = ufs;
        this.pins = pins;
    }

    /** Streams {@code extents} (covering {@code [0, version.size())}) to the UFS object of the version's path. */
    public UfsObject upload(FileVersion version, List<Extent> extents) {
        PutOptions options = new PutOptions(version.contentType(), version.userMetadata(), version.standardHeaders());
        UfsObject o = upload(version.path(), extents, version.size(), options);
        LOG.debug("event=uploaded path={} file={} bytes={}", version.path(), version.fileId(), version.size());
        return o;
    }

    /**
     * Streams a file's extents (covering {@code [0, size)}) to the UFS object of {@code path}: a
     * committed version's, or a session's before its commit. The extents' segments are leased for
     * the upload, so eviction and compaction cannot take its bytes half-way; extents that moved
     * before the lease are read again from the Catalog, which has where they are now.
     */
    public UfsObject upload(NamespacePath path, List<Extent> extents, long size, PutOptions options) {
        if (!ExtentReads.covers(extents, size)) {
            throw new WcacheException.Corruption(path.toString(), "extents do not cover the " + size + " bytes written");
        }
        List<Extent> current = extents;
        io.wcache.persister.async.LocalExtents.Leased leased;
        try {
            leased = local.lease(current);
        } catch (WcacheException.NotFound moved) {
            current = catalog.files().extents(extents.get(0).fileId());
            if (!ExtentReads.covers(current, size)) {
                throw new WcacheException.Conflict(path.toString(), "file " + extents.get(0).fileId()
                        + " changed while its upload started");
            }
            leased = local.lease(current);
        }
        long start = System.nanoTime();
        try (io.wcache.persister.async.LocalExtents.Leased reads = leased) {
            return ufs.ufsFor(path).put(path.relativeToMount(),
                    new io.wcache.persister.async.ExtentUploadSource(current, size, reads), options);
        } finally {
            Stages.since(Stage.UPLOAD_UFS, start);
        }
    }

    /**
     * Performs one claimed task and records it. Returns the Catalog's verdict; a task whose
     * version moved on is {@code SUPERSEDED} without touching the UFS. UFS failures propagate
     * (the caller reschedules).
     */
    public PersistOutcome perform(PersistTask task) {
        if (task.kind() == TaskKind.DELETE) {
            ufs.ufsFor(task.path()).delete(task.path().relativeToMount());
            return catalog.persistQueue().markPersisted(task);
        }
        FileLayout layout = catalog.files().layout(task.path()).orElse(null);
        if (layout == null || layout.file().fileId() != task.fileId()) {
            return catalog.persistQueue().markPersisted(task);
        }
        if (layout.file().damaged()) {
            // Never upload (or delete anything for) a damaged version: retried with backoff until a
            // client deletes or overwrites the path, which replaces this task.
            throw new WcacheException.Corruption(task.path().toString(), "version " + task.fileId() + " of "
                    + task.path() + " is damaged in the cache and cannot be persisted: " + layout.file().damage());
        }
        long fileId = layout.file().fileId();
        pins.pin(fileId);
        try {
            upload(layout.file(), layout.extents());
            long uploaded = System.nanoTime();
            PersistOutcome outcome = catalog.persistQueue().markPersisted(task);
            Stages.since(Stage.UPLOAD_MARK_PERSISTED, uploaded);
            if (outcome == PersistOutcome.PERSISTED) {
                for (Extent e : layout.extents()) {
                    Location loc = io.wcache.schema.catalog.ExtentCodec.toLocation(e);
                    store.markPersisted(loc);
                }
                persistedFiles.increment();
                persistedBytes.add(layout.file().size());
            }
            return outcome;
        } finally {
            pins.unpin(fileId);
        }
    }

    /** Versions this worker uploaded and marked {@code PERSISTED} since it started. */
    public long persistedFiles() {
        return persistedFiles.sum();
    }

    /** Bytes of the versions counted by {@link #persistedFiles()}. */
    public long persistedBytes() {
        return persistedBytes.sum();
    }
}
