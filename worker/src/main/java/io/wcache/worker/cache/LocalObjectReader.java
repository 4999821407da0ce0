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

/**
 * Reads one committed version from its extents in the local log store. The version's file id is
 * pinned in {@link ReaderPins} for the reader's life, so an overwrite or delete cannot release its
 * bytes while it reads.
 */
final class LocalObjectReader implements ObjectReader {

    private final ObjectInfo info;
    private final List<Extent> extents;
    private final long fileId;
    private final LogStore store;
    private final ReaderPins pins;
    private final Executor io;
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalObjectReader(ObjectInfo info, List<Extent> extents, long fileId, LogStore store, ReaderPins pins, Executor io) {
        this.info = info;
        this.extents = List.copyOf(extents);
        this.fileId = fileId;
        this.store = store;
        this.pins = pins;
        this.io = io;
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
        return CompletableFuture.supplyAsync(() -> ExtentReads.read(store, extents, offset, n), io);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pins.unpin(fileId);
        }
    }
}
