package io.wcache.worker.ufs;

import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.persister.ufs.UnderFileSystem;
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

    private final Supplier<MountTable> mounts;
    private final Map<String, UnderFileSystem> open = new ConcurrentHashMap<>();

    public UfsRegistry(Supplier<MountTable> mounts) {
        this.mounts = mounts;
    }

    public MountTable mounts() {
        return mounts.get();
    }

    /** The UFS of the mount holding {@code path}; {@code NotFound} for an unknown mount. */
    public UnderFileSystem forPath(NamespacePath path) {
        Mount m = mounts.get().resolve(path);
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
