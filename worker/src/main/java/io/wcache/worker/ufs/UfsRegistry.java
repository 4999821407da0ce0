package io.wcache.worker.ufs;

import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.worker.cache.Refreshing;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open UFS client of each mount, opened on first use and closed with the worker. A
 * {@code file:} mount's directory is made absolute against the working directory (the UFS layer
 * accepts only absolute {@code file:} URIs).
 */
public final class UfsRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UfsRegistry.class);

    /** How long a loaded mount table is used before it is read again (mounts another worker added). */
    static final long MOUNTS_TTL_NANOS = 1_000_000_000L;

    private final Refreshing<MountTable> mounts;
    private final Map<String, UnderFileSystem> open = new ConcurrentHashMap<>();

    /** {@code mounts} reads the current table (config mounts merged with the Catalog's); it is cached for a second. */
    public UfsRegistry(Supplier<MountTable> mounts) {
        this.mounts = new Refreshing<>(mounts, MOUNTS_TTL_NANOS);
    }

    /**
     * The mount table. Every request resolves its bucket through it, so it is read from the
     * Catalog at most once a second, and at once after {@link #refreshMounts()} (this worker's
     * own mount changes).
     */
    public MountTable mounts() {
        return mounts.get();
    }

    /** Forgets the cached mount table, so the next request sees a mount just added or removed. */
    public void refreshMounts() {
        mounts.invalidate();
    }

    /** The UFS of the mount holding {@code path}; {@code NotFound} for an unknown mount. */
    public UnderFileSystem forPath(NamespacePath path) {
        Mount m = mounts().resolve(path);
        return open.computeIfAbsent(m.name(), n -> openUfs(m));
    }

    /** The UFS URI a mount resolves to (absolute for local directories). */
    public static URI uriOf(Mount m) {
        if ("file".equals(m.ufsUri().getScheme())) {
            return m.localDirectory().toAbsolutePath().normalize().toUri();
        }
        return m.ufsUri();
    }

    private static UnderFileSystem openUfs(Mount m) {
        UnderFileSystem ufs = UnderFileSystem.open(uriOf(m), m.options());
        LOG.info("event=ufs_opened mount={} uri={}", m.path(), ufs.uri());
        return ufs;
    }

    @Override
    public void close() {
        for (UnderFileSystem u : open.values()) {
            try {
                u.close();
            } catch (RuntimeException e) {
                LOG.warn("event=ufs_close_failed uri={} error={}", u.uri(), e.toString());
            }
        }
        open.clear();
    }
}
