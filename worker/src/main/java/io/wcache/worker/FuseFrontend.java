package io.wcache.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.wcache.core.config.ConfigKeys;
import io.wcache.fuse.CacheSpace;
import io.wcache.fuse.FuseMount;
import io.wcache.fuse.FuseMountOptions;
import io.wcache.logstore.LogStore;
import java.nio.file.Path;

/**
 * The FUSE mount as a worker frontend ({@code wcache serve --fuse-mount DIR}): the worker's
 * CacheService mounted at a directory, {@code statfs} answered from the log store's capacity and
 * free space, {@code fuse.silly.rename.interceptor.enabled} from the config. Closing it unmounts.
 */
public final class FuseFrontend implements Frontend {

    private final FuseMount mount;

    private FuseFrontend(FuseMount mount) {
        this.mount = mount;
    }

    /** A factory mounting at {@code dir}, with FUSE metrics in {@code registry}. */
    public static Frontend.Factory at(Path dir, MeterRegistry registry) {
        return worker -> {
            LogStore store = worker.logStore();
            FuseMountOptions options = FuseMountOptions.at(dir)
                    .withSillyRenameInterceptor(worker.config().get(ConfigKeys.FUSE_SILLY_RENAME))
                    .withCacheTimeout(worker.config().get(ConfigKeys.FUSE_CACHE_TIMEOUT))
                    .withLibrary(FuseMountOptions.Library.parse(worker.config().get(ConfigKeys.FUSE_LIBRARY)));
            return new FuseFrontend(FuseMount.mount(worker.frontendService(), options,
                    CacheSpace.of(() -> store.stats().capacityBytes(), () -> store.stats().freeBytes()), registry));
        };
    }

    /** A factory mounting at {@code dir}, with FUSE metrics in Micrometer's global registry. */
    public static Frontend.Factory at(Path dir) {
        return at(dir, Metrics.globalRegistry);
    }

    public FuseMount mount() {
        return mount;
    }

    @Override
    public String describe() {
        return "frontend=fuse mount_point=" + mount.mountPoint();
    }

    @Override
    public void close() {
        mount.close();
    }
}
