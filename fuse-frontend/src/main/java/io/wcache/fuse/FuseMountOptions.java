package io.wcache.fuse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the namespace is mounted: the mount point; whether the kernel's {@code .fuse_hidden*}
 * rename on {@code rm} of an open file is intercepted ({@code fuse.silly.rename.interceptor.enabled});
 * how long the kernel may cache attributes and directory entries ({@code cacheTimeout}, the
 * longest time a change committed elsewhere, e.g. through S3, can stay invisible through the
 * mount); libfuse debug output; and extra {@code -o} options passed to libfuse as they are.
 */
public record FuseMountOptions(Path mountPoint, boolean sillyRenameInterceptor, Duration cacheTimeout, boolean debug,
                               List<String> extraOptions) {

    /** The default attribute/entry cache time: libfuse's own default. */
    public static final Duration DEFAULT_CACHE_TIMEOUT = Duration.ofSeconds(1);

    public FuseMountOptions {
        Objects.requireNonNull(mountPoint, "mountPoint");
        cacheTimeout = cacheTimeout == null ? DEFAULT_CACHE_TIMEOUT : cacheTimeout;
        if (cacheTimeout.isNegative()) {
            throw new IllegalArgumentException("cacheTimeout must not be negative: " + cacheTimeout);
        }
        extraOptions = extraOptions == null ? List.of() : List.copyOf(extraOptions);
    }

    public static FuseMountOptions at(Path mountPoint) {
        return new FuseMountOptions(mountPoint, false, DEFAULT_CACHE_TIMEOUT, false, List.of());
    }

    public FuseMountOptions withSillyRenameInterceptor(boolean enabled) {
        return new FuseMountOptions(mountPoint, enabled, cacheTimeout, debug, extraOptions);
    }

    public FuseMountOptions withCacheTimeout(Duration timeout) {
        return new FuseMountOptions(mountPoint, sillyRenameInterceptor, timeout, debug, extraOptions);
    }

    /** The libfuse arguments: {@code big_writes} so writes arrive in 128 KiB pieces, and the cache times. */
    List<String> fuseArguments() {
        double seconds = cacheTimeout.toNanos() / 1e9;
        StringBuilder o = new StringBuilder("big_writes,max_write=131072,max_read=131072")
                .append(",attr_timeout=").append(seconds)
                .append(",entry_timeout=").append(seconds)
                .append(",negative_timeout=0,fsname=wcache,subtype=wcache");
        for (String extra : extraOptions) {
            o.append(',').append(extra);
        }
        return List.of("-o", o.toString());
    }
}
