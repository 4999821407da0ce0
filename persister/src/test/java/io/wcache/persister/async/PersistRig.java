package io.wcache.persister.async;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.Region;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.UfsRouter;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.FileVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The parts a persister works with, all real: the embedded metadata engine with a Catalog, a log
 * store, and a UFS (usually s3proxy behind a {@link FaultyUfs}). {@link #writeBack} stands in for
 * the write pipeline: it appends a body to the log store as pinned 1 MiB records, syncs, commits
 * it in the Catalog and feeds the committed version to the persister's fast path.
 */
public final class PersistRig implements AutoCloseable {

    static final String WORKER = "w1";
    static final String MOUNT = "m";
    static final int CHUNK = 1 << 20;

    final MetadataEngine engine;
    public final Catalog catalog;
    final LogStore logStore;
    final UfsRouter router;
    public final Persister persister;
    private final PersisterConfig config;

    /**
     * Opens (or reopens) the engine under {@code dir/meta} and the log store under {@code dir/cache};
     * on reopen, the live extents the Catalog knows are restored to the store, pinned unless persisted.
     */
    public PersistRig(Path dir, UnderFileSystem ufs, PersisterConfig config) {
        this.engine = MetadataEngine.open("embedded:" + dir.resolve("meta"));
        this.catalog = Catalog.open(engine.recordDatabase(), "persist");
        this.logStore = LogStore.open(LogStoreConfig.of(dir.resolve("cache"), 2L << 30), ExtentRelocator.NONE);
        List<LiveExtent> live = new ArrayList<>();
        for (Extent e : catalog.locations().allExtents(Integer.MAX_VALUE)) {
            live.add(new LiveExtent(location(e), Region.PINNED));
        }
        logStore.restore(live);
        this.router = UfsRouter.of(Map.of(MOUNT, ufs));
        this.config = config;
        this.persister = new Persister(catalog, LocalExtents.of(logStore, WORKER), router, config);
    }

    static Location location(Extent e) {
        return ExtentCodec.toLocation(e);
    }

    static NamespacePath path(String key) {
        return NamespacePath.of("/" + MOUNT + "/" + key);
    }

    /** Writes {@code body} at {@code key} as WRITE_BACK, tagged with user metadata {@code v=version}; returns the committed version. */
    FileVersion writeBack(String key, PatternSource body, String version) throws IOException {
        return writeBack(key, body, version, true);
    }

    public FileVersion writeBack(String key, PatternSource body, String version, boolean notify) throws IOException {
        return write(key, body, version, WritePolicy.WRITE_BACK, notify);
    }

    /** As {@link #writeBack(String, PatternSource, String, boolean)}, returning the whole commit's outcome. */
    public CommitResult writeBackCommit(String key, PatternSource body, String version, boolean notify)
            throws IOException {
        return write(key, body, version, WritePolicy.WRITE_BACK, notify, null);
    }

    /**
     * From now on commits lease their uploads to the rig's persister, as a worker's do
     * ({@code AsyncPersister.start}); false: they lease nothing.
     */
    public void leaseUploadsAtCommit(boolean on) {
        catalog.persistQueue().leaseUploadsAtCommit(on ? config.owner() : null, config.lease());
    }

    /** Writes and commits {@code body} under {@code policy} (one that caches writes), its MD5 as its ETag as the write path records it. */
    FileVersion write(String key, PatternSource body, String version, WritePolicy policy, boolean notify) throws IOException {
        return write(key, body, version, policy, notify, null).committed();
    }

    /** Writes {@code body} at {@code key} as WRITE_BACK, recording {@code etag} as its ETag instead of its MD5. */
    FileVersion writeBackWithEtag(String key, PatternSource body, String etag) throws IOException {
        return write(key, body, "1", WritePolicy.WRITE_BACK, true, etag).committed();
    }

    private CommitResult write(String key, PatternSource body, String version, WritePolicy policy, boolean notify,
                              String etag) throws IOException {
        NamespacePath path = path(key);
        BeginRequest begin = BeginRequest.of(path, policy, WORKER);
        begin = new BeginRequest(begin.path(), begin.policy(), begin.writeReplicas(), begin.ownerWorker(),
                begin.replicaWorkers(), "application/octet-stream", Map.of("v", version));
        FileVersion session = catalog.files().begin(begin);
        List<Extent> extents = new ArrayList<>();
        CRC32C whole = new CRC32C();
        java.security.MessageDigest md5 = io.wcache.core.digest.Md5.newDigest();
        long size = body.length();
        try (PinnedReservation r = logStore.reservePinned(size); InputStream in = body.open(0, size)) {
            byte[] buf = new byte[CHUNK];
            for (long off = 0; off < size; off += CHUNK) {
                int n = (int) Math.min(CHUNK, size - off);
                in.readNBytes(buf, 0, n);
                CRC32C crc = new CRC32C();
                crc.update(buf, 0, n);
                whole.update(buf, 0, n);
                md5.update(buf, 0, n);
                Location loc = logStore.appendPinned(r, session.fileId(), off, ByteBuffer.wrap(buf, 0, n).slice());
                extents.add(new Extent(session.fileId(), off, WORKER, loc.segmentId(), loc.position(), n, crc.getValue()));
            }
        }
        logStore.sync();
        if (!extents.isEmpty()) {
            catalog.files().addExtents(session.ref(), extents);
        }
        CommitResult c = catalog.files().commit(session.ref(), new CommitRequest(size,
                etag != null ? etag : java.util.HexFormat.of().formatHex(md5.digest()), whole.getValue()));
        for (Extent e : c.supersededExtents()) {
            logStore.release(location(e));
        }
        if (notify) {
            persister.onCommitted(c.committed(), extents, c.uploadLeasedUntil());
        }
        return c;
    }

    /** Deletes {@code key} in the Catalog and tells the persister. */
    DeleteResult delete(String key) {
        DeleteResult d = catalog.files().delete(path(key));
        for (Extent e : d.extents()) {
            logStore.release(location(e));
        }
        persister.onDeleted(d.tombstone());
        return d;
    }

    @Override
    public void close() {
        persister.close();
        router.close();
        logStore.close();
        engine.close();
    }
}
