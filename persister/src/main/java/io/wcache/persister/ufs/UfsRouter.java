package io.wcache.persister.ufs;

import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of "which UFS client holds this namespace path": every UFS access of a worker
 * (reads, {@code NO_CACHE} and {@code WRITE_THROUGH} writes, background uploads and deletes)
 * asks it. The client of a mount is opened on first use and reused (clients are thread-safe and
 * pool connections); the key in the UFS is the path relative to its mount.
 *
 * <p>The mount table is read through a supplier on every call (the worker's supplier caches it
 * for a second and is invalidated by its own mount changes), and the client is checked against
 * the mount it was opened for: a mount removed and added again with another UFS URI or other
 * options gets a new client, so a re-pointed mount never writes to its old UFS. A replaced client
 * is not closed at once (a reader may still stream from it); it is closed with the router. A
 * removed mount keeps its open client, so the UFS deletes queued before a bucket was deleted
 * still finish (after a restart they wait until a mount of that name exists again; the
 * Catalog's tombstones keep those objects hidden meanwhile).
 */
public final class UfsRouter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UfsRouter.class);

    /** An open client and the mount it was opened for (null for a fixed client given to {@link #of}). */
    private record Open(Mount mount, UnderFileSystem ufs) {
    }

    private final Supplier<MountTable> mounts;
    private final Map<String, Open> open = new ConcurrentHashMap<>();
    // Guarded by this: clients of re-pointed mounts, closed with the router.
    private final List<UnderFileSystem> replaced = new ArrayList<>();
    /** Wraps every client this router opens (fault injection in tests); identity otherwise. */
    private volatile UnaryOperator<UnderFileSystem> wrapper = UnaryOperator.identity();

    /** A router over the mount table {@code mounts} returns now (read on every call; cache it there). */
    public UfsRouter(Supplier<MountTable> mounts) {
        this.mounts = mounts;
    }

    /** A router over a fixed set of already-open clients, keyed by mount name (tests, tools). */
    public static UfsRouter of(Map<String, UnderFileSystem> byMount) {
        UfsRouter r = new UfsRouter(MountTable::empty);
        byMount.forEach((name, ufs) -> r.open.put(name, new Open(null, ufs)));
        return r;
    }

    /** The current mount table (the S3 buckets). */
    public MountTable mounts() {
        return mounts.get();
    }

    /**
     * The client of {@code path}'s mount, as the mount table says now.
     *
     * @throws WcacheException.NotFound if no mount has that name
     */
    public UnderFileSystem ufsFor(NamespacePath path) {
        String name = path.mountName();
        Open o = open.get(name);
        if (o != null && o.mount() == null) {
            return o.ufs();
        }
        Optional<Mount> found = mounts.get().find(name);
        if (found.isEmpty() && o != null) {
            // A removed mount (a deleted bucket): the UFS deletes still queued for it finish through the
            // client it had; nothing else reaches here, since reads and writes resolve the mount first.
            return o.ufs();
        }
        Mount mount = found.orElseThrow(() ->
                new WcacheException.NotFound(path.toString(), "no mount (bucket) named '" + name + "'"));
        if (o != null && o.mount().equals(mount)) {
            return o.ufs();
        }
        synchronized (this) {
            Open cur = open.get(name);
            if (cur != null && mount.equals(cur.mount())) {
                return cur.ufs();
            }
            UnderFileSystem ufs = wrapper.apply(UnderFileSystem.open(uriOf(mount), mount.options()));
            open.put(name, new Open(mount, ufs));
            if (cur != null) {
                replaced.add(cur.ufs());
                LOG.info("event=ufs_reopened mount={} old_uri={} uri={}", mount.path(), cur.ufs().uri(), ufs.uri());
            } else {
                LOG.info("event=ufs_opened mount={} uri={}", mount.path(), ufs.uri());
            }
            return ufs;
        }
    }

    /**
     * Wraps the clients this router opens from now on, and those open now, in {@code wrap}: a
     * delegating client that delays or fails operations, for fault-injection tests over the real
     * client. Not for production use.
     */
    public synchronized void wrapClients(UnaryOperator<UnderFileSystem> wrap) {
        UnaryOperator<UnderFileSystem> before = wrapper;
        wrapper = u -> wrap.apply(before.apply(u));
        open.replaceAll((name, o) -> new Open(o.mount(), wrap.apply(o.ufs())));
    }

    /** The key of {@code path} in its mount's UFS. */
    public static String keyOf(NamespacePath path) {
        return path.relativeToMount();
    }

    /** The UFS URI a mount resolves to: a {@code file:} mount's directory made absolute against the working directory. */
    public static URI uriOf(Mount m) {
        if ("file".equals(m.ufsUri().getScheme())) {
            return m.localDirectory().toAbsolutePath().normalize().toUri();
        }
        return m.ufsUri();
    }

    @Override
    public synchronized void close() {
        List<UnderFileSystem> all = new ArrayList<>(replaced);
        open.values().forEach(o -> all.add(o.ufs()));
        for (UnderFileSystem u : all) {
            try {
                u.close();
            } catch (RuntimeException e) {
                LOG.warn("event=ufs_close_failed uri={} error={}", u.uri(), e.toString());
            }
        }
        open.clear();
        replaced.clear();
    }
}
