package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.LogStore;
import io.wcache.persister.ufs.UfsFetched;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PathStatus;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.persist.ExtentReads;
import io.wcache.worker.space.ExtentRelease;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a reader of a path's current object: the committed local copy (pinned and leased so it
 * outlives a concurrent overwrite or compaction), else the UFS, loading what it reads into the
 * cache ({@link ReadThroughLoader}) when the policy and size allow. A record that fails its check
 * on read sends a persisted version to the UFS and marks any other damaged.
 */
final class ObjectOpener {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectOpener.class);
    private static final int OPEN_ATTEMPTS = 5;
    /**
     * How long an open goes on looking for a committed version whose cached bytes moved each time
     * it leased them (compaction or eviction running pass after pass), after its first attempts.
     */
    private static final long MOVED_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * A UFS object up to this size is fetched whole, with its description, by the one GET that opens
     * it, and loaded into the cache behind the read; a larger one is loaded first and read from the
     * cache.
     */
    static final int FETCH_WHOLE_MAX = 1 << 20;

    private final WorkerCacheService svc;
    private final Catalog catalog;
    private final LogStore store;
    private final ExecutorService io;
    private final long readThroughMaxBytes;

    ObjectOpener(WorkerCacheService svc, Catalog catalog, LogStore store, ExecutorService io, long readThroughMaxBytes) {
        this.svc = svc;
        this.catalog = catalog;
        this.store = store;
        this.io = io;
        this.readThroughMaxBytes = readThroughMaxBytes;
    }

    /** Whether an object of {@code size} bytes on {@code path} is loaded into the cache when read. */
    boolean readsThrough(NamespacePath path, long size) {
        return svc.policies().resolve(path).policy() != WritePolicy.NO_CACHE && size <= readThroughMaxBytes;
    }

    ObjectReader open(NamespacePath path) {
        return open(path, null);
    }

    /**
     * As {@link #open(NamespacePath)}, starting from {@code first}, the path's status the caller
     * has just read (null: read it here), so a caller that looked first does not read it twice.
     */
    ObjectReader open(NamespacePath path, PathStatus first) {
        svc.policies().requireObjectPath(path);
        UnderFileSystem u = svc.ufsFor(path);
        String key = path.relativeToMount();
        long movedSince = 0;
        for (int attempt = 0; ; attempt++) {
            if (attempt >= OPEN_ATTEMPTS) {
                // Past the first attempts only while the version found is live but its bytes moved under
                // every lease so far (compaction or eviction running): that object exists, it is not "not found".
                if (movedSince == 0) {
                    break;
                }
                if (System.nanoTime() - movedSince > MOVED_WAIT_NANOS) {
                    throw new WcacheException.Unavailable(path.toString(), "the cached bytes of " + path
                            + " moved each time they were opened (compaction or eviction running); retry", null);
                }
                LockSupport.parkNanos(1_000_000);
            }
            // One transaction tells a cached version (with its extents) from a pending delete and from nothing.
            PathStatus status = attempt == 0 && first != null ? first : catalog.files().status(path);
            if (status instanceof PathStatus.Live live) {
                Optional<ObjectReader> r = openCached(live, u, key);
                if (r.isPresent()) {
                    return r.get();
                }
                movedSince = movedSince == 0 ? System.nanoTime() : movedSince;
                continue; // moved, superseded or deleted while opening: look again
            }
            movedSince = 0; // not live now: this attempt answers as any other, and the next ends the search
            if (status instanceof PathStatus.Deleted || ObjectVersions.isReserved(path)) {
                break;
            }
            WritePolicy policy = svc.policies().resolve(path).policy();
            if (policy == WritePolicy.TRANSIENT) {
                break; // read from the cache only: what it does not hold does not exist
            }
            if (policy == WritePolicy.NO_CACHE) {
                Optional<UfsObject> head = u.head(key);
                if (head.isEmpty()) {
                    break;
                }
                return new UfsObjectReader(svc.ufsInfo(path, head.get()), u, key, io);
            }
            // One GET describes the object and reads it: a small one is answered from its bytes, with
            // the copy into the cache behind the read (no log append or Catalog commit to wait for);
            // a larger one is loaded from the same response, or read by ranges when it is not cached.
            Optional<UfsFetched> fetched = u.fetch(key, FETCH_WHOLE_MAX);
            if (fetched.isEmpty()) {
                break;
            }
            try (UfsFetched f = fetched.get()) {
                UfsObject head = f.head();
                ObjectInfo info = svc.ufsInfo(path, head);
                boolean cached = head.size() <= readThroughMaxBytes;
                if (f.whole()) {
                    if (cached) {
                        svc.readThrough().loadBehind(path, head, f.first(), io);
                    }
                    return new FetchedObjectReader(info, f.first());
                }
                if (!cached || !svc.readThrough().load(path, head,
                        new SequenceInputStream(new ByteArrayInputStream(f.first()), f.rest()))) {
                    return new UfsObjectReader(info, u, key, io);
                }
            }
            // loaded (or another version came): look again
        }
        throw new WcacheException.NotFound(path.toString(), "no such object");
    }

    /**
     * A reader of the version {@code status} found when it is small ({@link LocalObjectReader#READ_ON_OPEN_MAX}),
     * undamaged and wholly in this worker's log store: one read of its bytes, nothing that waits for
     * the UFS or another worker, so the caller may run it on its own thread. Empty for anything else
     * (not cached, large, held elsewhere, moved or damaged meanwhile): the caller then opens it with
     * {@link #open(NamespacePath, PathStatus)}, which answers every case.
     */
    Optional<ObjectReader> openSmallLocal(PathStatus status) {
        if (!(status instanceof PathStatus.Live live)) {
            return Optional.empty();
        }
        FileVersion v = live.layout().file();
        List<Extent> extents = live.layout().extents();
        if (v.damaged() || v.size() > LocalObjectReader.READ_ON_OPEN_MAX || !v.versioning().ufsSource().isEmpty()) {
            return Optional.empty();
        }
        for (Extent e : extents) {
            if (!svc.workerId().equals(e.worker())) {
                return Optional.empty();
            }
        }
        svc.pins().pin(v.fileId());
        if (!allInStore(v, extents)) {
            svc.pins().unpin(v.fileId());
            return Optional.empty();
        }
        Optional<LogStore.Lease> leased = leaseOrUnpin(v.fileId(), extents);
        if (leased.isEmpty()) {
            return Optional.empty();
        }
        LogStore.Lease lease = leased.get();
        try {
            return Optional.of(LocalObjectReader.open(ObjectInfos.of(v), extents, v.fileId(), lease, svc.pins(), io,
                    c -> {
                        throw c; // the whole object was read and checked on open: no later read meets a record
                    }));
        } catch (WcacheException.Corruption c) {
            return Optional.empty(); // open gave back the pin and the lease; open() handles the damage
        }
    }

    /**
     * A reader of a cached version: its local bytes if this worker holds all of them, else the UFS
     * when it is persisted. Empty when the bytes moved or the version went while opening.
     */
    private Optional<ObjectReader> openCached(PathStatus.Live live, UnderFileSystem u, String pathKey) {
        FileVersion v = live.layout().file();
        // An archived version persisted while it was current is at that key until the persister copies it.
        String key = v.versioning().ufsSource().isEmpty() ? pathKey : v.versioning().ufsSource();
        if (v.damaged()) {
            throw damaged(v);
        }
        List<Extent> extents = live.layout().extents();
        if (!heldHere(v, extents)) {
            return Optional.of(new UfsObjectReader(ObjectInfos.of(v), u, key, io)); // persisted: the UFS has it too
        }
        svc.pins().pin(v.fileId());
        if (allInStore(v, extents)) {
            Optional<LogStore.Lease> leased = leaseOrUnpin(v.fileId(), extents);
            if (leased.isEmpty()) {
                return Optional.empty();
            }
            LogStore.Lease lease = leased.get();
            try {
                return Optional.of(LocalObjectReader.open(ObjectInfos.of(v), extents, v.fileId(), lease, svc.pins(), io,
                        c -> corruptRead(v, extents, u, key, c)));
            } catch (WcacheException.Corruption c) {
                return Optional.of(corruptRead(v, extents, u, key, c)); // open gave back the pin and the lease
            }
        }
        svc.pins().unpin(v.fileId());
        if (v.persistState() == PersistState.PERSISTED) {
            // Evicted: the UFS holds this version.
            return Optional.of(new UfsObjectReader(ObjectInfos.of(v), u, key, io));
        }
        return Optional.empty();
    }

    /**
     * A reader of the path's committed version from this worker's replica copy (its holder cannot
     * be reached). The copy's bytes are checked like the version's; a damaged copy fails the read
     * (the version's own bytes may be intact on its holder).
     */
    ObjectReader openCopy(NamespacePath path) {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            Optional<io.wcache.schema.catalog.FileLayout> copy = catalog.replicas().copyLayout(path, svc.workerId());
            if (copy.isEmpty()) {
                break;
            }
            FileVersion v = copy.get().file();
            List<Extent> extents = copy.get().extents();
            long copyId = extents.isEmpty() ? v.fileId() : extents.get(0).fileId();
            svc.pins().pin(copyId);
            Optional<LogStore.Lease> leased = leaseOrUnpin(copyId, extents);
            if (leased.isEmpty()) {
                continue;
            }
            return LocalObjectReader.open(ObjectInfos.of(v), extents, copyId, leased.get(), svc.pins(), io, c -> {
                throw c;
            });
        }
        throw new WcacheException.Unavailable(path.toString(), svc.workerId() + " holds no replica of the current "
                + "version of " + path, null);
    }

    /**
     * Leases the extents' segments of a version pinned under {@code pinId}, so compaction cannot take
     * the bytes while they are read; the pin passes to the reader with the lease. Empty, with the pin
     * given back, when compaction or eviction moved the extents since the look-up (the Catalog has
     * where they are now).
     */
    private Optional<LogStore.Lease> leaseOrUnpin(long pinId, List<Extent> extents) {
        try {
            return Optional.of(store.lease(extents.stream().map(ExtentCodec::toLocation).toList()));
        } catch (WcacheException.NotFound moved) {
            svc.pins().unpin(pinId);
            return Optional.empty();
        }
    }

    /** The extents cover the version and every one is still in this worker's log store. */
    private boolean allInStore(FileVersion v, List<Extent> extents) {
        boolean ok = ExtentReads.covers(extents, v.size());
        for (Extent e : extents) {
            ok &= store.regionOf(ExtentCodec.toLocation(e)) != null;
        }
        return ok;
    }

    /**
     * Bytes held by another worker's log store are read through that worker (the cluster forwards
     * the read there); this store's segment numbers mean nothing for them, so a local read would
     * return the wrong bytes. False for a persisted version held elsewhere (read it from the UFS);
     * Unavailable, naming the worker, for an unpersisted one.
     */
    private boolean heldHere(FileVersion v, List<Extent> extents) {
        String workerId = svc.workerId();
        for (Extent e : extents) {
            if (!workerId.equals(e.worker())) {
                if (v.persistState() == PersistState.PERSISTED) {
                    return false;
                }
                throw new WcacheException.Unavailable(v.path().toString(), "generation " + v.generation() + " of "
                        + v.path() + " is not persisted yet and is held by worker " + e.worker() + ", not by "
                        + workerId, null);
            }
        }
        return true;
    }

    /**
     * A read met a record of {@code v} that failed its check. A persisted version is read from the
     * UFS from now on (its local extents are dropped); any other is marked damaged in the Catalog
     * and the read fails saying so. Nothing in the UFS is touched either way.
     */
    private ObjectReader corruptRead(FileVersion v, List<Extent> extents, UnderFileSystem u, String key,
                                     WcacheException.Corruption c) {
        if (v.persistState() == PersistState.PERSISTED) {
            ExtentRelease.forget(catalog, store, extents);
            LOG.warn("event=damaged_version_served_from_ufs path={} file={} generation={} damage=\"{}\"", v.path(),
                    v.fileId(), v.generation(), c.getMessage());
            return new UfsObjectReader(ObjectInfos.of(v), u, key, io);
        }
        String damage = "record failed its check on read: " + c.getMessage();
        Optional<List<Extent>> removed = catalog.files().markDamaged(v.ref(), damage);
        if (removed.isPresent()) {
            ExtentRelease.release(store, removed.get());
            LOG.error("event=version_damaged path={} file={} generation={} persist_state={} damage=\"{}\" "
                    + "action=\"reads fail until the object is deleted or overwritten\"", v.path(), v.fileId(),
                    v.generation(), v.persistState(), damage);
        }
        throw damaged(v, damage);
    }

    /** The error a read of a damaged version answers (S3 500 InternalError, FUSE EIO). */
    private static WcacheException.Corruption damaged(FileVersion v, String damage) {
        return new WcacheException.Corruption(v.path().toString(), "the cached bytes of " + v.path() + " (generation "
                + v.generation() + ") are damaged and this version was not persisted to the UFS; delete or overwrite"
                + " the object (" + damage + ")");
    }

    private static WcacheException.Corruption damaged(FileVersion v) {
        return damaged(v, v.damage());
    }
}
