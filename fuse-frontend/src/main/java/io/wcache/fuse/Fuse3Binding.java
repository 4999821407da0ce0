package io.wcache.fuse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.BaseStruct;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.mapper.FromNativeConverter;
import jnr.ffi.provider.jffi.ClosureHelper;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Mounts a {@link WcacheFuseFs} through libfuse 3's high-level API (3.12 or later) instead of
 * jnr-fuse's libfuse 2. The file system's callbacks are the same; what changes is the protocol
 * the kernel speaks to the mount: libfuse 3 negotiates 1 MiB write requests (libfuse 2 caps them
 * at 128 KiB), so a sequential writer makes one round trip through the kernel per MiB instead of
 * eight. Attribute and entry caching, permissions and the unlink of open files behave as under
 * libfuse 2 (no {@code writeback_cache}, no {@code default_permissions}, {@code hard_remove} off).
 *
 * <p>libfuse 3 passes a {@code struct fuse_file_info} whose layout differs from libfuse 2's; the
 * callbacks here copy its {@code flags} and {@code fh} into a libfuse 2 shaped copy for the file
 * system and copy {@code fh} back, so {@link WcacheFuseFs} stays one implementation for both.
 */
final class Fuse3Binding {

    private static final Logger log = LoggerFactory.getLogger(Fuse3Binding.class);

    /** The largest write request libfuse 3 negotiates with the kernel (its buffer of 256 pages). */
    static final int MAX_WRITE = 1 << 20;

    /** {@code struct fuse_file_info} of libfuse 3 (x86_64 and aarch64): flags at 0, fh at 16. */
    private static final int FI3_FLAGS = 0;
    private static final int FI3_FH = 16;
    private static final long JOIN_MILLIS = 10_000;
    /**
     * Threads reading requests, as many as libfuse 3's own multi-threaded loop starts at most. They
     * are Java threads, so a request's callback runs on a thread the JVM already knows: on libfuse's
     * threads every callback attached its thread to the JVM and detached it again (a thread start
     * and exit per request, about a quarter of the mount threads' CPU on 1 MiB writes).
     */
    static final int LOOP_THREADS = 10;
    /** {@code struct fuse_buf} (size, flags, mem, fd, pos and, from libfuse 3.17, mem_size), rounded up. */
    private static final int FUSE_BUF_SIZE = 64;
    private static final int FUSE_BUF_MEM = 16;
    private static final int EINTR = 4;

    /** The libfuse 3 entry points used here; {@code fuse_loop_cfg_create} exists from libfuse 3.12 on. */
    public interface Lib {
        Pointer fuse_new(Pointer args, Operations ops, @size_t long opSize, Pointer privateData);

        int fuse_mount(Pointer fuse, String mountPoint);

        void fuse_unmount(Pointer fuse);

        void fuse_destroy(Pointer fuse);

        /** Not called: declared so that loading fails on a libfuse older than 3.12, the layout this binding follows. */
        Pointer fuse_loop_cfg_create();

        Pointer fuse_get_session(Pointer fuse);

        /** Reads the next request into {@code buf} (a {@code struct fuse_buf}); at or below 0 the mount is gone. */
        int fuse_session_receive_buf(Pointer session, Pointer buf);

        void fuse_session_process_buf(Pointer session, Pointer buf);

        int fuse_session_exited(Pointer session);

        Pointer fuse_get_context();
    }

    /** The C library's {@code free}, for the request buffers libfuse allocates into a {@code struct fuse_buf}. */
    public interface LibC {
        void free(Pointer p);
    }

    // Callbacks whose libfuse 3 signature differs from libfuse 2's, and those passed through as they are.
    public interface GetAttr { @Delegate int call(String path, Pointer stat, Pointer fi); }
    public interface PathOnly { @Delegate int call(String path); }
    public interface PathMode { @Delegate int call(String path, int mode); }
    public interface TwoPaths { @Delegate int call(String from, String to); }
    public interface Rename { @Delegate int call(String from, String to, int flags); }
    public interface Chmod { @Delegate int call(String path, int mode, Pointer fi); }
    public interface Chown { @Delegate int call(String path, int uid, int gid, Pointer fi); }
    public interface Truncate { @Delegate int call(String path, @off_t long size, Pointer fi); }
    public interface PathFi { @Delegate int call(String path, Pointer fi); }
    public interface PathModeFi { @Delegate int call(String path, int mode, Pointer fi); }
    public interface ReadWrite { @Delegate int call(String path, Pointer buf, @size_t long size, @off_t long offset, Pointer fi); }
    public interface Statfs { @Delegate int call(String path, Pointer statvfs); }
    public interface Fsync { @Delegate int call(String path, int datasync, Pointer fi); }
    public interface Readdir { @Delegate int call(String path, Pointer buf, Pointer filler, @off_t long offset, Pointer fi, int flags); }
    public interface Utimens { @Delegate int call(String path, Pointer times, Pointer fi); }
    /** The {@code fuse_fill_dir_t} of libfuse 3: a fifth argument, the fill flags. */
    public interface FillDir { @Delegate int call(Pointer buf, ByteBuffer name, Pointer stat, @off_t long offset, int flags); }
    /** A slot this binding leaves empty (libfuse answers {@code ENOSYS} or its own default). */
    public interface Unused { @Delegate int call(); }

    /** {@code struct fuse_operations} of libfuse 3.14: 42 function pointers, in this order. */
    public static final class Operations extends BaseStruct {
        final Func<GetAttr> getattr = func(GetAttr.class);
        final Func<Unused> readlink = func(Unused.class);
        final Func<Unused> mknod = func(Unused.class);
        final Func<PathMode> mkdir = func(PathMode.class);
        final Func<PathOnly> unlink = func(PathOnly.class);
        final Func<PathOnly> rmdir = func(PathOnly.class);
        final Func<TwoPaths> symlink = func(TwoPaths.class);
        final Func<Rename> rename = func(Rename.class);
        final Func<TwoPaths> link = func(TwoPaths.class);
        final Func<Chmod> chmod = func(Chmod.class);
        final Func<Chown> chown = func(Chown.class);
        final Func<Truncate> truncate = func(Truncate.class);
        final Func<PathFi> open = func(PathFi.class);
        final Func<ReadWrite> read = func(ReadWrite.class);
        final Func<ReadWrite> write = func(ReadWrite.class);
        final Func<Statfs> statfs = func(Statfs.class);
        final Func<PathFi> flush = func(PathFi.class);
        final Func<PathFi> release = func(PathFi.class);
        final Func<Fsync> fsync = func(Fsync.class);
        final Func<Unused> setxattr = func(Unused.class);
        final Func<Unused> getxattr = func(Unused.class);
        final Func<Unused> listxattr = func(Unused.class);
        final Func<Unused> removexattr = func(Unused.class);
        final Func<PathFi> opendir = func(PathFi.class);
        final Func<Readdir> readdir = func(Readdir.class);
        final Func<PathFi> releasedir = func(PathFi.class);
        final Func<Unused> fsyncdir = func(Unused.class);
        final Func<Unused> init = func(Unused.class);
        final Func<Unused> destroy = func(Unused.class);
        final Func<Unused> access = func(Unused.class);
        final Func<PathModeFi> create = func(PathModeFi.class);
        final Func<Unused> lock = func(Unused.class);
        final Func<Utimens> utimens = func(Utimens.class);
        final Func<Unused> bmap = func(Unused.class);
        final Func<Unused> ioctl = func(Unused.class);
        final Func<Unused> poll = func(Unused.class);
        final Func<Unused> writeBuf = func(Unused.class);
        final Func<Unused> readBuf = func(Unused.class);
        final Func<Unused> flock = func(Unused.class);
        final Func<Unused> fallocate = func(Unused.class);
        final Func<Unused> copyFileRange = func(Unused.class);
        final Func<Unused> lseek = func(Unused.class);

        Operations(Runtime runtime) {
            super(runtime);
        }
    }

    private static volatile Lib lib;
    private static volatile LibC libc;
    private static volatile String unavailable;

    private final WcacheFuseFs fs;
    private final Runtime runtime = Runtime.getSystemRuntime();
    private final Operations ops = new Operations(runtime);
    /** Native memory libfuse may still point at: the argument vector and its strings. */
    private final List<Pointer> keep = new ArrayList<>();
    private volatile Pointer fuse;
    private final List<Thread> loop = new ArrayList<>();

    private Fuse3Binding(WcacheFuseFs fs) {
        this.fs = fs;
        wire();
    }

    /** libfuse 3 (3.12 or later), loaded once; {@code null} with the reason in {@link #unavailableReason()} if it cannot be. */
    static synchronized Lib library() {
        if (lib == null && unavailable == null) {
            try {
                libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
                lib = LibraryLoader.create(Lib.class).failImmediately().load("fuse3");
            } catch (Throwable first) {
                try {
                    if (libc == null) {
                        libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
                    }
                    lib = LibraryLoader.create(Lib.class).failImmediately().load("libfuse3.so.3");
                } catch (Throwable e) {
                    unavailable = "libfuse 3.12 or later not loadable (install Debian's fuse3 package, or set "
                            + "fuse.library=fuse2): " + e.getMessage();
                }
            }
        }
        return lib;
    }

    static String unavailableReason() {
        return unavailable;
    }

    /**
     * Mounts {@code fs} at {@code dir} with the given {@code -o} options and serves it on libfuse's
     * worker threads; returns once the kernel has the mount.
     *
     * @throws IllegalStateException if libfuse refuses the options or the mount
     */
    static Fuse3Binding mount(WcacheFuseFs fs, Path dir, boolean debug, String options) {
        Lib l = library();
        if (l == null) {
            throw new IllegalStateException(unavailable);
        }
        Fuse3Binding b = new Fuse3Binding(fs);
        fs.servedBy(() -> FuseContext.of(l.fuse_get_context()), MAX_WRITE);
        b.start(l, dir, debug, options);
        return b;
    }

    private void start(Lib l, Path dir, boolean debug, String options) {
        List<String> argv = new ArrayList<>(List.of("wcache", "-o", options));
        if (debug) {
            argv.add("-d");
        }
        Pointer args = fuseArgs(argv);
        Pointer f = l.fuse_new(args, ops, Struct.size(ops), null);
        if (f == null || f.address() == 0) {
            throw new IllegalStateException("libfuse 3 refused the mount options " + argv);
        }
        if (l.fuse_mount(f, dir.toString()) != 0) {
            l.fuse_destroy(f);
            throw new IllegalStateException("libfuse 3 could not mount " + dir + " (is /dev/fuse there, and fusermount3?)");
        }
        fuse = f;
        Pointer session = l.fuse_get_session(f);
        for (int i = 0; i < LOOP_THREADS; i++) {
            Thread t = new Thread(() -> serve(l, session), "wcache-fuse3-" + i);
            t.setDaemon(true);
            loop.add(t);
            t.start();
        }
        log.info("event=fuse3_mounted dir={} max_write={}", dir, MAX_WRITE);
    }

    /**
     * One loop thread: reads requests and has libfuse run them (the callbacks below) until the
     * mount is gone, as libfuse's own loop does; each thread has its own request buffer.
     */
    private void serve(Lib l, Pointer session) {
        Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_SIZE, true);
        try {
            while (l.fuse_session_exited(session) == 0) {
                int n = l.fuse_session_receive_buf(session, buf);
                if (n == -EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                l.fuse_session_process_buf(session, buf);
            }
        } catch (Throwable t) {
            log.warn("event=fuse3_loop_failed thread={} error={}", Thread.currentThread().getName(), t.toString());
        } finally {
            Pointer mem = buf.getPointer(FUSE_BUF_MEM);
            if (mem != null && mem.address() != 0) {
                libc.free(mem);
            }
        }
    }

    /**
     * After the mount point was unmounted (the loop then ends on its own): waits for the loop and
     * frees libfuse's state. A loop that does not end within the bound is left running, not freed
     * under it.
     */
    void close() {
        Pointer f = fuse;
        if (f == null) {
            return;
        }
        long deadline = System.nanoTime() + JOIN_MILLIS * 1_000_000;
        boolean alive = false;
        for (Thread t : loop) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            alive |= t.isAlive();
        }
        if (alive) {
            log.warn("fuse3 loop still running {} ms after the unmount; not freeing it", JOIN_MILLIS);
            return;
        }
        fuse = null;
        lib.fuse_unmount(f);
        lib.fuse_destroy(f);
    }

    /** A {@code struct fuse_args} for {@code argv}: {@code int argc; char **argv; int allocated}. */
    private Pointer fuseArgs(List<String> argv) {
        Pointer vector = Memory.allocateDirect(runtime, (argv.size() + 1) * runtime.addressSize(), true);
        for (int i = 0; i < argv.size(); i++) {
            byte[] b = argv.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(runtime, b.length + 1, true);
            s.put(0, b, 0, b.length);
            keep.add(s);
            vector.putAddress((long) i * runtime.addressSize(), s.address());
        }
        Pointer args = Memory.allocateDirect(runtime, 24, true);
        args.putInt(0, argv.size());
        args.putAddress(8, vector.address());
        args.putInt(16, 0);
        keep.add(vector);
        keep.add(args);
        return args;
    }

    private void wire() {
        WcacheFuseFs f = fs;
        ops.getattr.set((path, stat, fi) -> fi == null || fi.address() == 0
                ? f.getattr(path, FileStat.of(stat))
                : withFi(fi, fi2 -> f.fgetattr(path, FileStat.of(stat), fi2)));
        ops.mkdir.set((path, mode) -> f.mkdir(path, Integer.toUnsignedLong(mode)));
        ops.unlink.set(f::unlink);
        ops.rmdir.set(f::rmdir);
        ops.symlink.set(f::symlink);
        // libfuse 2 never passed rename flags (the kernel refused them with EINVAL); keep that answer.
        ops.rename.set((from, to, flags) -> flags != 0 ? -ErrorCodes.EINVAL() : f.rename(from, to));
        ops.link.set(f::link);
        ops.chmod.set((path, mode, fi) -> f.chmod(path, Integer.toUnsignedLong(mode)));
        ops.chown.set((path, uid, gid, fi) -> f.chown(path, Integer.toUnsignedLong(uid), Integer.toUnsignedLong(gid)));
        ops.truncate.set((path, size, fi) -> fi == null || fi.address() == 0
                ? f.truncate(path, size)
                : withFi(fi, fi2 -> f.ftruncate(path, size, fi2)));
        ops.open.set((path, fi) -> withFi(fi, fi2 -> f.open(path, fi2)));
        ops.read.set((path, buf, size, offset, fi) -> withFi(fi, fi2 -> f.read(path, buf, size, offset, fi2)));
        ops.write.set((path, buf, size, offset, fi) -> withFi(fi, fi2 -> f.write(path, buf, size, offset, fi2)));
        ops.statfs.set((path, st) -> f.statfs(path, Statvfs.of(st)));
        ops.flush.set((path, fi) -> withFi(fi, fi2 -> f.flush(path, fi2)));
        ops.release.set((path, fi) -> withFi(fi, fi2 -> f.release(path, fi2)));
        ops.fsync.set((path, datasync, fi) -> withFi(fi, fi2 -> f.fsync(path, datasync, fi2)));
        ops.opendir.set((path, fi) -> withFi(fi, fi2 -> f.opendir(path, fi2)));
        ops.readdir.set((path, buf, filler, offset, fi, flags) -> {
            FillDir fill3 = fillDir(filler);
            FuseFillDir fill2 = (b, name, stat, off) -> fill3.call(b, name, stat, off, 0);
            return withFi(fi, fi2 -> f.readdir(path, buf, fill2, offset, fi2));
        });
        ops.releasedir.set((path, fi) -> withFi(fi, fi2 -> f.releasedir(path, fi2)));
        ops.create.set((path, mode, fi) -> withFi(fi, fi2 -> f.create(path, Integer.toUnsignedLong(mode), fi2)));
        ops.utimens.set((path, times, fi) -> {
            Timespec a = Timespec.of(times);
            Timespec m = Timespec.of(times.slice(Struct.size(a)));
            return f.utimens(path, new Timespec[] {a, m});
        });
    }

    private interface WithFi {
        int call(FuseFileInfo fi2);
    }

    /**
     * Calls {@code body} with a libfuse 2 shaped copy of the libfuse 3 {@code fi} (its {@code flags}
     * and {@code fh}) and copies the handle the call set back.
     */
    private int withFi(Pointer fi3, WithFi body) {
        FuseFileInfo fi2 = FuseFileInfo.of(Memory.allocate(runtime, 64));
        fi2.flags.set(fi3.getInt(FI3_FLAGS));
        fi2.fh.set(fi3.getLong(FI3_FH));
        int r = body.call(fi2);
        fi3.putLong(FI3_FH, fi2.fh.get());
        return r;
    }

    private static FillDir fillDir(Pointer filler) {
        ClosureHelper helper = ClosureHelper.getInstance();
        FromNativeConverter<FillDir, Pointer> converter = helper.getNativeConveter(FillDir.class);
        return converter.fromNative(filler, helper.getFromNativeContext());
    }
}
