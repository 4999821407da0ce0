package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.LogStore;
import io.wcache.schema.catalog.Extent;
import io.wcache.worker.persist.ExtentReads;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Reads one committed version from its extents in the local log store. The version's file id is
 * pinned in {@link ReaderPins} for the reader's life, so an overwrite or delete cannot release its
 * bytes while it reads, and its segments are leased ({@link LogStore#lease}), so eviction and
 * compaction cannot take them away mid-body either.
 * A read that meets a record failing its CRC asks {@code onCorruption} once for a replacement: a
 * reader of the UFS copy when the version is persisted (later reads use it); otherwise the
 * function throws the error the read fails with.
 */
final class LocalObjectReader implements ObjectReader {

    private final ObjectInfo info;
    private final List<Extent> extents;
    private final long fileId;
    private final LogStore.Lease lease;
    private final ReaderPins pins;
    private final Executor io;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The whole object, read when it was opened, if it is small; otherwise null. */
    private final ByteBuffer whole;
    private final Function<WcacheException.Corruption, ObjectReader> onCorruption;
    /** The replacement reader once a record failed its check, or null. */
    private final AtomicReference<ObjectReader> replacement = new AtomicReference<>();

    /** Objects up to this size are read when opened, so their reads never wait for the I/O pool. */
    static final int READ_ON_OPEN_MAX = 64 * 1024;

    /**
     * Opens a reader on a pinned version with a lease on its segments; the caller's pin and lease
     * pass to the reader (and are given back if the open fails). An object of at most
     * {@link #READ_ON_OPEN_MAX} bytes is read here, on the opening thread, so a small GET does not hop
     * to the I/O pool again for its bytes, and a damaged record fails the open, before any response.
     */
    static LocalObjectReader open(ObjectInfo info, List<Extent> extents, long fileId, LogStore.Lease lease, ReaderPins pins,
                                  Executor io, Function<WcacheException.Corruption, ObjectReader> onCorruption) {
        ByteBuffer whole = null;
        if (info.size() <= READ_ON_OPEN_MAX) {
            try {
                whole = ExtentReads.read(lease, extents, 0, (int) info.size());
            } catch (RuntimeException e) {
                lease.close();
                pins.unpin(fileId);
                throw e;
            }
        }
        return new LocalObjectReader(info, extents, fileId, lease, pins, io, whole, onCorruption);
    }

    private LocalObjectReader(ObjectInfo info, List<Extent> extents, long fileId, LogStore.Lease lease, ReaderPins pins,
                              Executor io, ByteBuffer whole, Function<WcacheException.Corruption, ObjectReader> onCorruption) {
        this.onCorruption = onCorruption;
        this.info = info;
        this.extents = List.copyOf(extents);
        this.fileId = fileId;
        this.lease = lease;
        this.pins = pins;
        this.io = io;
        this.whole = whole;
    }

    @Override
    public ObjectInfo info() {
        return info;
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long offset, int length) {
        if (offset < 0 || length < 0) {
            return CompletableFuture.failedFuture(new WcacheException.InvalidArgument(info.path().toString(),
                    "negative read offset or length"));
        }
        if (closed.get()) {
            return CompletableFuture.failedFuture(new WcacheException.InvalidArgument(info.path().toString(), "reader is closed"));
        }
        if (offset >= info.size() || length == 0) {
            return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
        }
        int n = (int) Math.min(length, info.size() - offset);
        if (whole != null) {
            return CompletableFuture.completedFuture(whole.slice((int) offset, n));
        }
        ObjectReader other = replacement.get();
        if (other != null) {
            return other.read(offset, n);
        }
        return CompletableFuture.supplyAsync(() -> ExtentReads.read(lease, extents, offset, n), io)
                .exceptionallyCompose(t -> {
                    Throwable cause = WorkerCacheService.unwrap(t);
                    if (!(cause instanceof WcacheException.Corruption c)) {
                        return CompletableFuture.failedFuture(cause);
                    }
                    ObjectReader r;
                    try {
                        r = replacement.get();
                        if (r == null) {
                            r = onCorruption.apply(c);
                            if (!replacement.compareAndSet(null, r)) {
                                r.close();
                                r = replacement.get();
                            }
                        }
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                    return r.read(offset, n);
                });
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            lease.close();
            pins.unpin(fileId);
            ObjectReader other = replacement.get();
            if (other != null) {
                other.close();
            }
        }
    }
}
