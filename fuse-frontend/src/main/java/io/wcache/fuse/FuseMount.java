package io.wcache.fuse;

import io.micrometer.core.instrument.MeterRegistry;
import io.wcache.core.cache.CacheService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live FUSE mount of the namespace: {@link #mount} cleans up a mount left behind at the same
 * directory by a killed process (its endpoint answers {@code ENOTCONN}), mounts a
 * {@link WcacheFuseFs} and waits until the kernel lists it; {@link #close} unmounts it and waits
 * until it is gone. A directory that is a live mount of another process is refused.
 */
public final class FuseMount implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FuseMount.class);
    private static final long WAIT_MILLIS = 15_000;

    private final Path mountPoint;
    private final WcacheFuseFs fs;
    /** The libfuse 3 mount, or {@code null} when jnr-fuse's libfuse 2 serves it. */
    private final Fuse3Binding fuse3;
    /** The libfuse 2 mount, or {@code null} when libfuse 3 serves it. */
    private final Fuse2Binding fuse2;
    private volatile boolean closed;

    private FuseMount(Path mountPoint, WcacheFuseFs fs, Fuse3Binding fuse3, Fuse2Binding fuse2) {
        this.mountPoint = mountPoint;
        this.fs = fs;
        this.fuse3 = fuse3;
        this.fuse2 = fuse2;
    }

    /**
     * Mounts {@code cache} at {@code options.mountPoint()} (created if missing).
     *
     * @throws IllegalStateException if the directory is another live mount or the mount does not appear
     */
    public static FuseMount mount(CacheService cache, FuseMountOptions options, CacheSpace space, MeterRegistry registry) {
        Path dir = options.mountPoint().toAbsolutePath().normalize();
        cleanUpStaleMount(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create mount point " + dir + ": " + e.getMessage(), e);
        }
        WcacheFuseFs fs = new WcacheFuseFs(cache, options, space, new FuseMetrics(registry));
        Fuse3Binding fuse3 = null;
        Fuse2Binding fuse2 = null;
        boolean useFuse3 = switch (options.library()) {
            case FUSE3 -> true;
            case FUSE2 -> false;
            case AUTO -> Fuse3Binding.library() != null;
        };
        if (useFuse3) {
            fuse3 = Fuse3Binding.mount(fs, dir, options.debug(), options.fuse3Options());
        } else {
            if (options.library() == FuseMountOptions.Library.AUTO) {
                log.info("event=fuse_library_fallback library=libfuse2 reason=\"{}\"", Fuse3Binding.unavailableReason());
            }
            fuse2 = libfuse2(fs);
            fuse2.mount(dir, false, options.debug(), options.fuseArguments().toArray(String[]::new));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!isFuseMountPoint(dir)) {
            if (System.nanoTime() > deadline) {
                fusermountUnmount(dir);
                if (fuse2 != null) {
                    fuse2.umount();
                }
                if (fuse3 != null) {
                    fuse3.close();
                }
                throw new IllegalStateException("FUSE mount at " + dir + " did not appear within " + WAIT_MILLIS + " ms");
            }
            sleep(20);
        }
        widenReadahead(dir);
        log.info("event=fuse_mounted dir={} library={} interceptor={} cache_timeout={}", dir,
                fuse3 != null ? "libfuse3" : "libfuse2", options.sillyRenameInterceptor(), options.cacheTimeout());
        return new FuseMount(dir, fs, fuse3, fuse2);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public WcacheFuseFs fileSystem() {
        return fs;
    }

    private static Fuse2Binding libfuse2(WcacheFuseFs fs) {
        try {
            return new Fuse2Binding(fs);
        } catch (RuntimeException | LinkageError e) {
            String fuse3 = Fuse3Binding.unavailableReason();
            throw new IllegalStateException("cannot load libfuse 2 (" + e.getMessage() + ")"
                    + (fuse3 != null ? " nor libfuse 3 (" + fuse3 + ")" : "")
                    + "; install Debian's fuse3 package (libfuse 3.12 or later), or libfuse2, and retry", e);
        }
    }

    /** {@code libfuse3} or {@code libfuse2}: which library serves this mount. */
    public String library() {
        return fuse3 != null ? "libfuse3" : "libfuse2";
    }

    /** Unmounts (lazily, so a process still inside the mount does not block shutdown) and waits until it is gone. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        fusermountUnmount(mountPoint);
        if (fuse2 != null) {
            fuse2.umount();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (isFuseMountPoint(mountPoint) && System.nanoTime() < deadline) {
            sleep(20);
        }
        if (fuse3 != null) {
            fuse3.close();
        }
        log.info("fuse unmounted dir={}", mountPoint);
    }

    /**
     * If {@code dir} is a FUSE mount whose process is gone (stat answers "Transport endpoint is not
     * connected"), unmounts it. A live mount of another process is left alone and refused.
     */
    static void cleanUpStaleMount(Path dir) {
        if (!isFuseMountPoint(dir)) {
            return;
        }
        if (isLive(dir)) {
            throw new IllegalStateException(dir + " is already a live FUSE mount (another wcache process?); not mounting over it");
        }
        log.warn("fuse stale mount found dir={}; unmounting it", dir);
        fusermountUnmount(dir);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (isFuseMountPoint(dir)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("stale FUSE mount at " + dir + " could not be unmounted");
            }
            sleep(20);
        }
    }

    /** Kernel readahead of the mount, in KiB: several 128 KiB reads in flight hide the per-read latency. */
    static final int READAHEAD_KB = 1024;

    /**
     * The kernel gives a FUSE mount 128 KiB of readahead, so a sequential reader waits for one
     * request at a time; widening it (root only, through the mount's backing-device entry) lets the
     * kernel keep several reads in flight, which libfuse serves on its worker threads.
     */
    private static void widenReadahead(Path dir) {
        try {
            Object dev = Files.getAttribute(dir, "unix:dev");
            long d = ((Number) dev).longValue();
            long major = (d >>> 8) & 0xfff | ((d >>> 32) & ~0xfffL);
            long minor = (d & 0xff) | ((d >>> 12) & ~0xffL);
            Path knob = Path.of("/sys/class/bdi", major + ":" + minor, "read_ahead_kb");
            if (Files.isWritable(knob)) {
                Files.writeString(knob, String.valueOf(READAHEAD_KB));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("fuse readahead not widened dir={} reason={}", dir, e.toString());
        }
    }

    /** Opening the directory always reaches the daemon (a stat may be answered from the kernel's attribute cache). */
    private static boolean isLive(Path dir) {
        try (var entries = Files.newDirectoryStream(dir)) {
            entries.iterator().hasNext();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code dir} is the mount point of a FUSE file system, per {@code /proc/self/mountinfo}. */
    public static boolean isFuseMountPoint(Path dir) {
        String target = dir.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent major:minor root mountpoint options [optional...] - fstype source superopts
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (f.length > 4 && dash > 0 && dash + 1 < f.length && unescape(f[4]).equals(target)
                        && f[dash + 1].startsWith("fuse")) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/mountinfo", e);
        }
        return false;
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static void fusermountUnmount(Path dir) {
        for (String tool : new String[] {"fusermount", "fusermount3"}) {
            try {
                Process p = new ProcessBuilder(tool, "-u", "-z", dir.toString()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // try the next tool
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.warn("fuse unmount failed dir={}", dir);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the FUSE mount", e);
        }
    }
}
