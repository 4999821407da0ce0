package io.wcache.fuse;

import com.kenai.jffi.MemoryIO;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
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
 * The wcache namespace as a FUSE file system over a {@link CacheService}: {@code /<mount>/<path>}
 * under the mount point is namespace path {@code /<mount>/<path>}. It gives the write-cache POSIX
 * semantics of the design: a file is written once, sequentially, and becomes visible when it is
 * closed (the session commits at the first {@code close()} after data was written, or at
 * {@code fsync}, so a commit error reaches the application); a closed file cannot be reopened for
 * writing ({@code EACCES}); {@code rename} fails with {@code EIO} and {@code link} with
 * {@code EOPNOTSUPP}; {@code READ_ONLY} paths answer {@code EROFS}; {@code NO_CACHE} paths may be
 * overwritten and renamed, straight through to the UFS.
 *
 * <p>Directories are not objects: a directory exists while a listing shows a prefix under it (a
 * folder marker {@code dir/}, as S3 clients make folders, is enough; {@code rmdir} deletes it), or
 * while it is a directory made (or emptied) through this mount, which is kept in memory only.
 * Every callback maps failures through {@link ErrnoTable} and is timed in {@link FuseMetrics}.
 */
public final class WcacheFuseFs {

    private static final Logger log = LoggerFactory.getLogger(WcacheFuseFs.class);

    static final String HIDDEN_PREFIX = ".fuse_hidden";
    private static final int O_ACCMODE = 03;
    private static final int O_RDONLY = 0;
    private static final int O_EXCL = 0200;
    private static final int BLOCK = 4096;
    private static final int IO_SIZE = 128 * 1024;

    /** Where the caller's uid and gid come from: the context of the libfuse that serves the mount. */
    private volatile Supplier<FuseContext> context;
    /** The st_blksize files report: the largest write request the binding's kernel protocol carries. */
    private volatile int ioSize = IO_SIZE;

    private final CacheService cache;
    private final FuseMountOptions options;
    private final CacheSpace space;
    private final FuseMetrics metrics;
    private final Instant mountedAt = Instant.now();

    private final AtomicLong nextHandle = new AtomicLong(1);
    /** Open handles by {@code fh}: readers, writers and directory streams. */
    private final Map<Long, Object> handles = new ConcurrentHashMap<>();
    /** Files being written through this mount, not yet committed: visible to getattr/readdir here only. */
    private final Map<NamespacePath, WriteHandle> writing = new ConcurrentHashMap<>();
    /** Open, deleted files under their {@code .fuse_hidden*} name (interceptor on): no UFS object behind them. */
    private final Map<NamespacePath, Hidden> hidden = new ConcurrentHashMap<>();
    /** Directories that exist only in this mount (made here, or emptied here by unlink). */
    private final Set<NamespacePath> localDirs = ConcurrentHashMap.newKeySet();

    public WcacheFuseFs(CacheService cache, FuseMountOptions options, CacheSpace space, FuseMetrics metrics) {
        this.cache = cache;
        this.options = options;
        this.space = space;
        this.metrics = metrics;
    }

    // ---------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface Op {
        int call();
    }

    private int run(String op, String path, Op body) {
        long start = System.nanoTime();
        int rc;
        try {
            rc = body.call();
        } catch (Throwable t) {
            rc = -ErrnoTable.errno(t);
            Throwable cause = ErrnoTable.unwrap(t);
            if (cause instanceof FuseErrno || cause instanceof WcacheException) {
                if (log.isDebugEnabled()) {
                    log.debug("fuse op={} path={} errno={} reason={}", op, path, ErrnoTable.name(-rc), cause.getMessage());
                }
            } else {
                log.warn("fuse op={} path={} errno={} unexpected failure", op, path, ErrnoTable.name(-rc), cause);
            }
        }
        metrics.record(op, start, rc);
        return rc;
    }

    static <T> T join(CompletableFuture<T> future) {
        return future.join();
    }

    private static FuseErrno fail(int errno, String reason) {
        return new FuseErrno(errno, reason);
    }

    /** The namespace path of a FUSE path; the root of the mount is {@link NamespacePath#root()}. */
    private static NamespacePath parse(String fusePath) {
        return NamespacePath.of(fusePath);
    }

    private WritePolicy policy(NamespacePath p) {
        return cache.resolvePolicy(p).policy();
    }

    private void requireInMount(NamespacePath p, String what) {
        if (p.depth() < 2) {
            throw fail(ErrorCodes.EACCES(), what + " at the top level: mounts are managed by the administrator");
        }
        cache.mounts().resolve(p);
    }

    private void requireWritable(NamespacePath p) {
        if (policy(p) == WritePolicy.READ_ONLY) {
            throw fail(ErrorCodes.EROFS(), p + " is READ_ONLY");
        }
    }

    // ---------------------------------------------------------------- attributes

    private record Attr(boolean directory, long size, Instant mtime) {
    }

    private Attr attr(NamespacePath p) {
        if (p.isRoot()) {
            return new Attr(true, 0, mountedAt);
        }
        if (p.depth() == 1) {
            if (cache.mounts().find(p.mountName()).isEmpty()) {
                throw fail(ErrorCodes.ENOENT(), "no mount " + p);
            }
            return new Attr(true, 0, mountedAt);
        }
        cache.mounts().resolve(p);
        WriteHandle w = writing.get(p);
        if (w != null) {
            return new Attr(false, w.size(), w.lastWrite);
        }
        Hidden h = hidden.get(p);
        if (h != null) {
            return new Attr(false, h.sizeNow(), h.mtime());
        }
        if (options.sillyRenameInterceptor() && p.name().startsWith(HIDDEN_PREFIX)) {
            throw fail(ErrorCodes.ENOENT(), "no hidden file " + p);
        }
        Optional<ObjectInfo> info = join(cache.stat(p));
        if (info.isPresent()) {
            return new Attr(false, info.get().size(), info.get().lastModified());
        }
        if (isDirectory(p)) {
            return new Attr(true, 0, mountedAt);
        }
        throw fail(ErrorCodes.ENOENT(), "no such file or directory " + p);
    }

    private boolean isDirectory(NamespacePath p) {
        return localDirs.contains(p) || hasEntries(p, true);
    }

    private boolean hasChildren(NamespacePath dir) {
        return hasEntries(dir, false);
    }

    /**
     * Whether a listing shows anything under {@code dir}; its folder marker ({@code dir/}, an S3
     * client's empty folder) counts only when {@code countMarker}: it makes the directory exist
     * but is not one of its entries.
     */
    private boolean hasEntries(NamespacePath dir, boolean countMarker) {
        for (NamespacePath w : writing.keySet()) {
            if (!w.equals(dir) && dir.isPrefixOf(w)) {
                return true;
            }
        }
        for (NamespacePath d : localDirs) {
            if (!d.equals(dir) && dir.isPrefixOf(d)) {
                return true;
            }
        }
        // A directory exists while some object lies under it: asked without a delimiter, so a prefix
        // whose objects are all deleted (their UFS deletes still pending) does not keep it alive.
        String prefix = dir.depth() == 1 ? "" : dir.relativeToMount() + "/";
        Optional<NamespacePath> marker = countMarker || dir.depth() == 1 ? Optional.empty() : Optional.of(dir.folderMarker());
        return join(cache.anyListed(dir.mountPath(), prefix, marker));
    }

    private void fill(FileStat stat, Attr a) {
        if (a.directory) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
        } else {
            stat.st_mode.set(FileStat.S_IFREG | 0644);
            stat.st_nlink.set(1);
            stat.st_size.set(a.size);
            // a file must not look sparse, or cp --sparse=auto would seek over "holes" and write out of order
            stat.st_blocks.set((a.size + 511) / 512);
        }
        stat.st_blksize.set(ioSize);
        FuseContext caller = getContext();
        stat.st_uid.set(caller.uid.get());
        stat.st_gid.set(caller.gid.get());
        for (Timespec t : new Timespec[] {stat.st_mtim, stat.st_ctim, stat.st_atim}) {
            t.tv_sec.set(a.mtime.getEpochSecond());
            t.tv_nsec.set(a.mtime.getNano());
        }
    }

    /** The calling process's context (uid, gid) of the request being served. */
    FuseContext getContext() {
        return context.get();
    }

    /**
     * Set by the binding that mounts this file system: where its caller context comes from, and
     * the largest write request its protocol carries (reported as {@code st_blksize}).
     */
    void servedBy(Supplier<FuseContext> source, int maxWrite) {
        context = source;
        ioSize = maxWrite;
    }

    public int getattr(String path, FileStat stat) {
        return run("getattr", path, () -> {
            fill(stat, attr(parse(path)));
            return 0;
        });
    }

    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return run("getattr", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (h instanceof WriteHandle w) {
                fill(stat, new Attr(false, w.size(), w.lastWrite));
            } else if (h instanceof ReadHandle r) {
                ObjectInfo info = r.reader.info();
                fill(stat, new Attr(false, info.size(), info.lastModified()));
            } else {
                fill(stat, attr(parse(path)));
            }
            return 0;
        });
    }

    public int statfs(String path, Statvfs st) {
        return run("statfs", path, () -> {
            long capacity = Math.max(0, space.capacityBytes());
            long free = Math.max(0, Math.min(capacity, space.freeBytes()));
            st.f_bsize.set(BLOCK);
            st.f_frsize.set(BLOCK);
            st.f_blocks.set(capacity / BLOCK);
            st.f_bfree.set(free / BLOCK);
            st.f_bavail.set(free / BLOCK);
            st.f_files.set(1L << 32);
            st.f_ffree.set(1L << 31);
            st.f_favail.set(1L << 31);
            st.f_namemax.set(NamespacePath.MAX_SEGMENT_BYTES);
            return 0;
        });
    }

    public int utimens(String path, Timespec[] timespec) {
        // Object times are the commit times; a time set here would not survive, so it is accepted and
        // ignored (touch and cp -p keep working) rather than failing the whole tool.
        return run("utimens", path, () -> {
            NamespacePath p = parse(path);
            attr(p);
            if (p.depth() >= 2) {
                requireWritable(p);
            }
            return 0;
        });
    }

    public int chmod(String path, long mode) {
        return run("chmod", path, () -> {
            attr(parse(path));
            return 0;
        });
    }

    public int chown(String path, long uid, long gid) {
        return run("chown", path, () -> {
            attr(parse(path));
            return 0;
        });
    }

    // ---------------------------------------------------------------- directories

    public int mkdir(String path, long mode) {
        return run("mkdir", path, () -> {
            NamespacePath p = parse(path);
            if (p.depth() == 1 && cache.mounts().find(p.mountName()).isPresent()) {
                throw fail(ErrorCodes.EEXIST(), p + " exists");
            }
            requireInMount(p, "mkdir");
            requireWritable(p);
            if (exists(p)) {
                throw fail(ErrorCodes.EEXIST(), p + " exists");
            }
            localDirs.add(p);
            return 0;
        });
    }

    private boolean exists(NamespacePath p) {
        try {
            attr(p);
            return true;
        } catch (FuseErrno e) {
            if (e.errno() == ErrorCodes.ENOENT()) {
                return false;
            }
            throw e;
        } catch (WcacheException.NotFound e) {
            return false;
        }
    }

    public int rmdir(String path) {
        return run("rmdir", path, () -> {
            NamespacePath p = parse(path);
            if (p.depth() < 2) {
                throw fail(p.isRoot() || cache.mounts().find(p.mountName()).isPresent()
                        ? ErrorCodes.EBUSY() : ErrorCodes.ENOENT(), "cannot remove " + p);
            }
            cache.mounts().resolve(p);
            requireWritable(p);
            if (join(cache.stat(p)).isPresent() || writing.containsKey(p)) {
                throw fail(ErrorCodes.ENOTDIR(), p + " is a file");
            }
            if (hasChildren(p)) {
                throw fail(ErrorCodes.ENOTEMPTY(), p + " is not empty");
            }
            boolean local = localDirs.remove(p);
            // A folder made by an S3 client is its marker object (dir/): removing the directory deletes it.
            NamespacePath marker = p.folderMarker();
            boolean markerGone = join(cache.stat(marker)).isPresent() && join(cache.delete(marker));
            if (!local && !markerGone) {
                throw fail(ErrorCodes.ENOENT(), "no directory " + p);
            }
            return 0;
        });
    }

    public int opendir(String path, FuseFileInfo fi) {
        return run("opendir", path, () -> {
            NamespacePath p = parse(path);
            Attr a = attr(p);
            if (!a.directory) {
                throw fail(ErrorCodes.ENOTDIR(), p + " is a file");
            }
            Set<String> local = new HashSet<>();
            if (!p.isRoot()) {
                for (NamespacePath d : localDirs) {
                    childName(p, d).ifPresent(local::add);
                }
                for (NamespacePath w : writing.keySet()) {
                    childName(p, w).ifPresent(local::add);
                }
            }
            long fh = nextHandle.getAndIncrement();
            handles.put(fh, new DirStream(cache, p.isRoot() ? null : p, local));
            fi.fh.set(fh);
            return 0;
        });
    }

    /** The name of the child of {@code dir} on the way to {@code descendant}, if it is a proper descendant. */
    private static Optional<String> childName(NamespacePath dir, NamespacePath descendant) {
        if (descendant.depth() > dir.depth() && dir.isPrefixOf(descendant)) {
            return Optional.of(descendant.segments().get(dir.depth()));
        }
        return Optional.empty();
    }

    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        return run("readdir", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (!(h instanceof DirStream stream)) {
                throw fail(ErrorCodes.EBADF(), "not an open directory " + path);
            }
            stream.fill((name, next) -> filler.apply(buf, nulTerminated(name), null, next) != 0, offset);
            return 0;
        });
    }

    private static ByteBuffer nulTerminated(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocateDirect(b.length + 1);
        out.put(b).put((byte) 0).flip();
        return out;
    }

    public int releasedir(String path, FuseFileInfo fi) {
        return run("releasedir", path, () -> {
            handles.remove(fi.fh.get());
            return 0;
        });
    }

    // ---------------------------------------------------------------- files

    /** Bytes the read path asks the service for at once, and prefetches ahead of a sequential reader. */
    static final int READ_WINDOW = 1 << 20;

    /**
     * A file open for reading: one committed version, whole, for the life of the handle. The kernel
     * asks for 128 KiB at a time, several at once (readahead); the handle reads
     * {@link #READ_WINDOW}-aligned windows from the service, shares one fetch among the requests in
     * a window, and, while the reader moves forward, keeps the next {@link #PREFETCH} windows in
     * flight. Fetches are awaited outside the monitor, so requests for different windows overlap.
     */
    private static final class ReadHandle {
        static final int PREFETCH = 2;

        final ObjectReader reader;
        final long size;
        /** Window index to its bytes (fetched or in flight). Guarded by this. */
        private final Map<Long, CompletableFuture<Window>> windows = new java.util.HashMap<>();
        private long lastIndex = -1;

        ReadHandle(ObjectReader reader) {
            this.reader = reader;
            this.size = reader.info().size();
        }

        private record Window(byte[] data, int offset, int length) {
            static Window of(ByteBuffer b) {
                if (b.hasArray()) {
                    return new Window(b.array(), b.arrayOffset() + b.position(), b.remaining());
                }
                byte[] copy = new byte[b.remaining()];
                b.duplicate().get(copy);
                return new Window(copy, 0, copy.length);
            }
        }

        /** Copies up to {@code length} bytes at {@code offset} into {@code dst}; short only at the end of the file. */
        int read(long offset, int length, Pointer dst) {
            int copied = 0;
            while (copied < length && offset + copied < size) {
                long at = offset + copied;
                long index = at / READ_WINDOW;
                Window w = join(window(index));
                int pos = (int) (at - index * READ_WINDOW);
                int n = Math.min(length - copied, w.length - pos);
                if (n <= 0) {
                    break;
                }
                dst.put(copied, w.data, w.offset + pos, n);
                copied += n;
            }
            return copied;
        }

        private synchronized CompletableFuture<Window> window(long index) {
            CompletableFuture<Window> f = fetch(index);
            boolean sequential = index == lastIndex || index == lastIndex + 1;
            if (sequential) {
                for (long k = 1; k <= PREFETCH && (index + k) * READ_WINDOW < size; k++) {
                    fetch(index + k);
                }
            }
            lastIndex = Math.max(lastIndex, index);
            windows.keySet().removeIf(i -> i < index - 1 || i > index + PREFETCH);
            return f;
        }

        private CompletableFuture<Window> fetch(long index) {
            return windows.computeIfAbsent(index, i -> reader.read(i * READ_WINDOW, READ_WINDOW).thenApply(Window::of));
        }

        synchronized void close() {
            windows.clear();
            reader.close();
        }
    }

    /**
     * A file open for writing. Its monitor serialises writes and the commit; {@code done} is set
     * once by the first flush/fsync/release, after which the file is closed for writing for good.
     */
    private static final class WriteHandle {
        final NamespacePath path;
        final WriteSession session;
        volatile Instant lastWrite = Instant.now();
        volatile boolean unlinked;
        boolean done;
        int result;
        /** Appends not yet completed, oldest first, each with the buffer it owns until then. */
        final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
        final ArrayDeque<byte[]> free = new ArrayDeque<>();
        /** The first failed append: the session is dead, later writes and the close report it. */
        RuntimeException failure;

        /** The session copies on append: writes hand it the request's buffer, and only its backpressure is awaited. */
        final boolean copying;
        /** Appends (their futures) that may be pending before a write waits for the oldest. */
        final int maxInFlight;

        WriteHandle(NamespacePath path, WriteSession session) {
            this.path = path;
            this.session = session;
            this.copying = session.copiesOnAppend();
            this.maxInFlight = copying ? MAX_PENDING_COPIED : MAX_IN_FLIGHT;
        }

        /** Bytes accepted from the application (some may still be in flight to the session). */
        volatile long accepted;

        long size() {
            return accepted;
        }

        /** Retires completed appends (oldest first) and, if {@code untilBelow} is set, waits until fewer are in flight. */
        void drain(int untilBelow) {
            while (!inFlight.isEmpty() && (inFlight.size() >= untilBelow || inFlight.peekFirst().future.isDone())) {
                InFlight f = inFlight.pollFirst();
                try {
                    f.future.join();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
                if (f.buffer != null) {
                    free.addLast(f.buffer);
                }
            }
        }
    }

    private record InFlight(CompletableFuture<Void> future, byte[] buffer) {
    }

    /**
     * Appends in flight per open file. The kernel sends one 128 KiB write at a time and waits for
     * its reply; answering once the bytes are copied (not once they are appended) lets the session
     * work on one piece while the kernel delivers the next. A failed append is reported by the next
     * write or by close, like a write-back error.
     */
    static final int MAX_IN_FLIGHT = 16;

    /**
     * Appends a session that copies ({@link WriteSession#copiesOnAppend}) may have pending before a
     * write waits for the oldest one's backpressure: no buffer of the mount's is held by them, so the
     * window can absorb a slow moment of the pipeline below (a Catalog transaction's p99 is tens of
     * milliseconds) without stalling the kernel's next request. What a file being written holds is
     * bounded all the same: the session's records in flight beyond its own limit come only from
     * these pending appends (64 of 128 KiB, 8 MiB).
     */
    static final int MAX_PENDING_COPIED = 64;

    private record Hidden(NamespacePath original, long size, Instant mtime, WriteHandle writer) {
        long sizeNow() {
            return writer != null ? writer.size() : size;
        }
    }

    private long register(Object handle) {
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, handle);
        return fh;
    }

    public int create(String path, long mode, FuseFileInfo fi) {
        return run("create", path, () -> {
            NamespacePath p = parse(path);
            requireInMount(p, "create");
            requireWritable(p);
            boolean exclusive = (fi.flags.get() & O_EXCL) != 0;
            fi.fh.set(register(startWrite(p, exclusive)));
            return 0;
        });
    }

    private WriteHandle startWrite(NamespacePath p, boolean exclusive) {
        if (writing.containsKey(p)) {
            throw fail(exclusive ? ErrorCodes.EEXIST() : ErrorCodes.EACCES(), p + " is being written");
        }
        WritePolicy policy = policy(p);
        // write-once: under the caching policies a create must never replace a committed file
        boolean ifNoneMatch = exclusive || policy != WritePolicy.NO_CACHE;
        WriteSession session;
        try {
            // A file written here has no ETag until an S3 client asks for one (or the cache computes it
            // after the close): its MD5 is not taken while the application writes.
            session = join(cache.create(p, new WriteOptions(null, Map.of(), Optional.empty(), ifNoneMatch)
                    .withEtagLater()));
        } catch (RuntimeException e) {
            if (ErrnoTable.unwrap(e) instanceof WcacheException.AlreadyExists && !exclusive) {
                throw fail(ErrorCodes.EACCES(), p + " exists and is write-once");
            }
            throw e;
        }
        WriteHandle h = new WriteHandle(p, session);
        if (writing.putIfAbsent(p, h) != null) {
            session.abort();
            throw fail(exclusive ? ErrorCodes.EEXIST() : ErrorCodes.EACCES(), p + " is being written");
        }
        return h;
    }

    public int open(String path, FuseFileInfo fi) {
        return run("open", path, () -> {
            NamespacePath p = parse(path);
            int flags = fi.flags.get();
            if ((flags & O_ACCMODE) == O_RDONLY) {
                ObjectReader reader;
                try {
                    reader = join(cache.open(p));
                } catch (RuntimeException e) {
                    if (ErrnoTable.unwrap(e) instanceof WcacheException.NotFound && writing.containsKey(p)) {
                        throw fail(ErrorCodes.EBUSY(), p + " is being written and not yet closed");
                    }
                    throw e;
                }
                fi.fh.set(register(new ReadHandle(reader)));
                return 0;
            }
            requireInMount(p, "open for writing");
            requireWritable(p);
            if (policy(p) != WritePolicy.NO_CACHE) {
                throw fail(ErrorCodes.EACCES(), p + " exists and is write-once");
            }
            // NO_CACHE: the UFS object is replaced as a whole when this handle is closed
            fi.fh.set(register(startWrite(p, false)));
            return 0;
        });
    }

    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return run("read", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (h instanceof WriteHandle) {
                throw fail(ErrorCodes.EACCES(), path + " cannot be read back before it is closed");
            }
            if (!(h instanceof ReadHandle r)) {
                throw fail(ErrorCodes.EBADF(), "not an open file " + path);
            }
            return r.read(offset, (int) Math.min(size, Integer.MAX_VALUE), buf);
        });
    }

    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return run("write", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (!(h instanceof WriteHandle w)) {
                throw fail(ErrorCodes.EBADF(), "not open for writing " + path);
            }
            synchronized (w) {
                if (w.done) {
                    // after a failure, keep reporting it: the kernel retries the rest of a short write,
                    // and the application must see the real error, not the write-once refusal
                    throw w.result != 0 ? fail(-w.result, w.path + ": an earlier write or the commit failed")
                            : fail(ErrorCodes.EACCES(), w.path + " was closed (or fsynced) and is write-once");
                }
                long written = w.accepted;
                if (offset != written) {
                    throw fail(ErrorCodes.ESPIPE(), w.path + ": write at offset " + offset
                            + " but the file is written sequentially and has " + written + " bytes");
                }
                int n = (int) size;
                w.drain(w.maxInFlight);
                if (w.failure != null) {
                    finish(w, -ErrnoTable.errno(w.failure), false);
                    throw w.failure;
                }
                if (w.copying && buf.isDirect()) {
                    // The session copies before append returns: it reads the request's buffer in place.
                    ByteBuffer request = MemoryIO.getInstance().newDirectByteBuffer(buf.address(), n);
                    w.inFlight.addLast(new InFlight(w.session.append(request), null));
                } else {
                    byte[] buffer = w.free.pollFirst();
                    if (buffer == null || buffer.length < n) {
                        buffer = new byte[Math.max(n, IO_SIZE)];
                    }
                    buf.get(0, buffer, 0, n);
                    // the buffer returns to the pool only after its append completed, as the session requires
                    w.inFlight.addLast(new InFlight(w.session.append(ByteBuffer.wrap(buffer, 0, n)), buffer));
                }
                w.accepted = written + n;
                w.lastWrite = Instant.now();
                return n;
            }
        });
    }

    /**
     * Ends the write of {@code w} once: commits it (or aborts it if it was unlinked or failed) and
     * remembers the result, which every later flush returns, so {@code close()} sees a commit error.
     */
    private int finish(WriteHandle w, int failure, boolean commit) {
        synchronized (w) {
            if (w.done) {
                return w.result;
            }
            w.done = true;
            w.drain(1);
            if (failure == 0 && w.failure != null) {
                failure = -ErrnoTable.errno(w.failure);
            }
            w.free.clear();
            try {
                if (commit && failure == 0 && !w.unlinked) {
                    join(w.session.commit());
                    forgetLocalAncestors(w.path);
                    w.result = 0;
                } else {
                    w.result = failure;
                    w.session.abort();
                }
            } catch (RuntimeException e) {
                w.result = -ErrnoTable.errno(e);
                log.debug("fuse commit path={} errno={} reason={}", w.path, ErrnoTable.name(-w.result), e.getMessage());
                try {
                    w.session.abort();
                } catch (RuntimeException ignored) {
                    // the commit already failed; the sweep frees whatever the abort could not
                }
            } finally {
                writing.remove(w.path, w);
            }
            return w.result;
        }
    }

    /** Once a file is committed its parent directories show in listings; they need no local entry. */
    private void forgetLocalAncestors(NamespacePath p) {
        Optional<NamespacePath> parent = p.parent();
        while (parent.isPresent() && parent.get().depth() >= 2) {
            localDirs.remove(parent.get());
            parent = parent.get().parent();
        }
    }

    /**
     * {@code close()} of any descriptor of the file. Tools routinely open a file, {@code dup2} it and
     * close the original before writing ({@code dd}, shell redirections), so a flush before the first
     * byte commits nothing; a flush after data was written commits, and its result (a commit error
     * included) is what {@code close()} returns. An empty file is committed at release.
     */
    public int flush(String path, FuseFileInfo fi) {
        return run("flush", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (h instanceof WriteHandle w) {
                synchronized (w) {
                    if (!w.done && w.accepted == 0) {
                        return 0;
                    }
                }
                return finish(w, 0, true);
            }
            return 0;
        });
    }

    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        // The session's bytes become durable when it commits; fsync therefore commits, and the file
        // is closed for writing from then on (it is write-once).
        return run("fsync", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (h instanceof WriteHandle w) {
                return finish(w, 0, true);
            }
            return 0;
        });
    }

    public int release(String path, FuseFileInfo fi) {
        return run("release", path, () -> {
            Object h = handles.remove(fi.fh.get());
            if (h instanceof WriteHandle w) {
                return finish(w, 0, true);
            }
            if (h instanceof ReadHandle r) {
                r.close();
            }
            return 0;
        });
    }

    public int truncate(String path, long size) {
        return run("truncate", path, () -> {
            NamespacePath p = parse(path);
            requireInMount(p, "truncate");
            WriteHandle w = writing.get(p);
            if (w != null && size == w.size()) {
                return 0;
            }
            requireWritable(p);
            Attr a = attr(p);
            if (a.directory) {
                throw fail(ErrorCodes.EISDIR(), p + " is a directory");
            }
            if (policy(p) == WritePolicy.NO_CACHE && size == 0 && w == null) {
                WriteSession s = join(cache.create(p, WriteOptions.defaults()));
                join(s.commit());
                return 0;
            }
            throw fail(ErrorCodes.EACCES(), p + " is write-once: it cannot be truncated");
        });
    }

    public int ftruncate(String path, long size, FuseFileInfo fi) {
        return run("truncate", path, () -> {
            Object h = handles.get(fi.fh.get());
            if (h instanceof WriteHandle w) {
                synchronized (w) {
                    if (!w.done && size == w.size()) {
                        return 0;
                    }
                }
                throw fail(ErrorCodes.EACCES(), w.path + " is written sequentially: it cannot be truncated");
            }
            throw fail(ErrorCodes.EACCES(), path + " is write-once: it cannot be truncated");
        });
    }

    public int unlink(String path) {
        return run("unlink", path, () -> {
            NamespacePath p = parse(path);
            if (hidden.remove(p) != null) {
                return 0; // the last descriptor of an intercepted rm closed: nothing exists in the cache or UFS
            }
            requireInMount(p, "unlink");
            requireWritable(p);
            WriteHandle w = writing.get(p);
            if (w != null) {
                w.unlinked = true;
                finish(w, 0, false);
                return 0;
            }
            if (!join(cache.delete(p))) {
                throw fail(ErrorCodes.ENOENT(), "no such file " + p);
            }
            // POSIX keeps a directory after its last file goes; the namespace would not, so this mount does
            p.parent().filter(d -> d.depth() >= 2).ifPresent(localDirs::add);
            return 0;
        });
    }

    public int rename(String from, String to) {
        return run("rename", from, () -> {
            NamespacePath src = parse(from);
            NamespacePath dst = parse(to);
            if (options.sillyRenameInterceptor() && dst.name().startsWith(HIDDEN_PREFIX)
                    && src.parent().equals(dst.parent()) && src.depth() >= 2) {
                return hide(src, dst);
            }
            if (src.depth() >= 2 && dst.depth() >= 2 && policy(src) == WritePolicy.NO_CACHE
                    && policy(dst) == WritePolicy.NO_CACHE) {
                return copyThenDelete(src, dst);
            }
            throw fail(ErrorCodes.EIO(), "rename is not supported by a write cache: " + src + " -> " + dst);
        });
    }

    /** The kernel hides an open file that is being removed: the path is deleted now, the open descriptors keep their data. */
    private int hide(NamespacePath src, NamespacePath dst) {
        requireWritable(src);
        WriteHandle w = writing.get(src);
        if (w != null) {
            w.unlinked = true;
            writing.remove(src, w);
            hidden.put(dst, new Hidden(src, 0, w.lastWrite, w));
            join(cache.delete(src));
            return 0;
        }
        ObjectInfo info = join(cache.stat(src))
                .orElseThrow(() -> fail(ErrorCodes.ENOENT(), "no such file " + src));
        hidden.put(dst, new Hidden(src, info.size(), info.lastModified(), null));
        join(cache.delete(src));
        src.parent().filter(d -> d.depth() >= 2).ifPresent(localDirs::add);
        return 0;
    }

    /** NO_CACHE passes rename through: the UFS has no rename, so the object is copied, then the source deleted. */
    private int copyThenDelete(NamespacePath src, NamespacePath dst) {
        try (ObjectReader reader = join(cache.open(src))) {
            WriteSession session = join(cache.create(dst, WriteOptions.defaults()));
            try {
                long size = reader.info().size();
                for (long off = 0; off < size; ) {
                    ByteBuffer chunk = join(reader.read(off, 1 << 20));
                    if (!chunk.hasRemaining()) {
                        break;
                    }
                    off += chunk.remaining();
                    join(session.append(chunk));
                }
                join(session.commit());
            } catch (RuntimeException e) {
                session.abort();
                throw e;
            }
        }
        join(cache.delete(src));
        return 0;
    }

    public int link(String oldpath, String newpath) {
        return run("link", oldpath, () -> {
            throw fail(ErrorCodes.EOPNOTSUPP(), "hard links are not supported: " + oldpath + " -> " + newpath);
        });
    }

    public int symlink(String oldpath, String newpath) {
        return run("symlink", newpath, () -> {
            throw fail(ErrorCodes.EOPNOTSUPP(), "symbolic links are not supported: " + newpath);
        });
    }

    /** The number of handles open now (files and directories); for tests and diagnostics. */
    public int openHandles() {
        return handles.size();
    }
}
