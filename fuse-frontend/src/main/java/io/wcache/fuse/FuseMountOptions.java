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
 * mount); libfuse debug output; extra {@code -o} options passed to libfuse as they are; and which
 * libfuse serves the mount ({@code fuse.library}).
 */
public record FuseMountOptions(Path mountPoint, boolean sillyRenameInterceptor, Duration cacheTimeout, boolean debug,
                               List<String> extraOptions, Library library) {

    /**
     * Which libfuse serves the mount: libfuse 3 (1 MiB write requests) when it can be loaded, else
     * libfuse 2 ({@code AUTO}); or exactly one of them.
     */
    public enum Library {
        AUTO, FUSE3, FUSE2;

        /** {@code auto}, {@code fuse3} or {@code fuse2}, as the config key spells them. */
        public static Library parse(String s) {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** The default attribute/entry cache time: libfuse's own default. */
    public static final Duration DEFAULT_CACHE_TIMEOUT = Duration.ofSeconds(1);

    public FuseMountOptions {
        Objects.requireNonNull(mountPoint, "mountPoint");
        cacheTimeout = cacheTimeout == null ? DEFAULT_CACHE_TIMEOUT : cacheTimeout;
        if (cacheTimeout.isNegative()) {
            throw new IllegalArgumentException("cacheTimeout must not be negative: " + cacheTimeout);
        }
        extraOptions = extraOptions == null ? List.of() : List.copyOf(extraOptions);
        library = library == null ? Library.AUTO : library;
    }

    public static FuseMountOptions at(Path mountPoint) {
        return new FuseMountOptions(mountPoint, false, DEFAULT_CACHE_TIMEOUT, false, List.of(), Library.AUTO);
    }

    public FuseMountOptions withSillyRenameInterceptor(boolean enabled) {
        return new FuseMountOptions(mountPoint, enabled, cacheTimeout, debug, extraOptions, library);
    }

    public FuseMountOptions withCacheTimeout(Duration timeout) {
        return new FuseMountOptions(mountPoint, sillyRenameInterceptor, timeout, debug, extraOptions, library);
    }

    public FuseMountOptions withLibrary(Library lib) {
        return new FuseMountOptions(mountPoint, sillyRenameInterceptor, cacheTimeout, debug, extraOptions, lib);
    }

    /** The libfuse 2 arguments: {@code big_writes} so writes arrive in 128 KiB pieces, and the cache times. */
    List<String> fuseArguments() {
        return List.of("-o", "big_writes,max_write=131072,max_read=131072," + commonOptions());
    }

    /**
     * The libfuse 3 {@code -o} options: the cache times and names. libfuse 3 writes in pieces of up
     * to 1 MiB without being asked and knows no {@code big_writes}.
     */
    String fuse3Options() {
        return commonOptions();
    }

    private String commonOptions() {
        double seconds = cacheTimeout.toNanos() / 1e9;
        StringBuilder o = new StringBuilder()
                .append("attr_timeout=").append(seconds)
                .append(",entry_timeout=").append(seconds)
                .append(",negative_timeout=0,fsname=wcache,subtype=wcache");
        for (String extra : extraOptions) {
            o.append(',').append(extra);
        }
        return o.toString();
    }
}
