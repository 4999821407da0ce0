package io.wcache.persister.async;

import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.ufs.UnderFileSystem;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the UFS client that holds a namespace path: the client of the path's mount, opened once
 * per mount and reused (clients are thread-safe and pool connections). The key in the UFS is the
 * path relative to its mount. The mount table is read through a supplier, so mounts added at run
 * time are found; a client whose mount was removed or re-pointed is closed and reopened.
 */
public final class UfsRouter implements UfsResolver, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UfsRouter.class);

    private record Open(Mount mount, UnderFileSystem ufs) {
    }

    private final Supplier<MountTable> mounts;
    private final Map<String, Open> open = new ConcurrentHashMap<>();

    public UfsRouter(Supplier<MountTable> mounts) {
        this.mounts = mounts;
    }

    /** A router over a fixed set of already-open clients, keyed by mount name (tests, tools). */
    public static UfsRouter of(Map<String, UnderFileSystem> byMount) {
        UfsRouter r = new UfsRouter(MountTable::empty);
        byMount.forEach((name, ufs) -> r.open.put(name, new Open(null, ufs)));
        return r;
    }

    /**
     * The client of {@code path}'s mount.
     *
     * @throws WcacheException.NotFound if no mount has that name
     */
    @Override
    public UnderFileSystem ufsFor(NamespacePath path) {
        String name = path.mountName();
        Open o = open.get(name);
        if (o != null && o.mount() == null) {
            return o.ufs();
        }
        Mount mount = mounts.get().find(name).orElseThrow(() ->
                new WcacheException.NotFound(path.toString(), "no mount (bucket) named '" + name + "'"));
        if (o != null && o.mount().equals(mount)) {
            return o.ufs();
        }
        synchronized (this) {
            Open cur = open.get(name);
            if (cur != null && mount.equals(cur.mount())) {
                return cur.ufs();
            }
            UnderFileSystem ufs = UnderFileSystem.open(mount.ufsUri(), mount.options());
            open.put(name, new Open(mount, ufs));
            if (cur != null) {
                cur.ufs().close();
            }
            LOG.info("event=ufsOpened mount={} ufs={}", name, mount.ufsUri());
            return ufs;
        }
    }

    /** The key of {@code path} in its mount's UFS. */
    public static String keyOf(NamespacePath path) {
        return path.relativeToMount();
    }

    @Override
    public void close() {
        for (Open o : open.values()) {
            try {
                o.ufs().close();
            } catch (RuntimeException e) {
                LOG.warn("event=ufsCloseFailed ufs={} error={}", o.ufs().uri(), e.toString());
            }
        }
        open.clear();
    }
}
