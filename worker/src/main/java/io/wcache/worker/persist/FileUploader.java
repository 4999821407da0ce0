package io.wcache.worker.persist;

import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.LogStore;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.persister.ufs.UfsRouter;
import java.util.List;
import io.wcache.core.path.NamespacePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads a file's extents from the log store to the UFS synchronously: the path a
 * {@code WRITE_THROUGH} write and a {@code WRITE_THROUGH} multipart completion take before they
 * are acknowledged. Queued {@code WRITE_BACK} uploads are the persister's
 * ({@link AsyncPersister}). The extents' segments are leased while they are read.
 */
public final class FileUploader {

    private static final Logger LOG = LoggerFactory.getLogger(FileUploader.class);

    private final Catalog catalog;
    private final UfsRouter ufs;

    /** This worker's extents in the log store, as the upload bodies read them. */
    private final io.wcache.persister.async.LocalExtents local;

    public FileUploader(Catalog catalog, LogStore store, String workerId, UfsRouter ufs) {
        this.catalog = catalog;
        this.local = io.wcache.persister.async.LocalExtents.of(store, workerId);
        this.ufs = ufs;
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
}
