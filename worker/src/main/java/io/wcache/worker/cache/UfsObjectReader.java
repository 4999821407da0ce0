package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.error.WcacheException;
import io.wcache.persister.ufs.UnderFileSystem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Reads an object straight from the UFS: {@code NO_CACHE} paths, objects too large to load into
 * the cache, and persisted versions whose local extents were evicted.
 */
final class UfsObjectReader implements ObjectReader {

    private final ObjectInfo info;
    private final UnderFileSystem ufs;
    private final String key;
    private final Executor io;

    UfsObjectReader(ObjectInfo info, UnderFileSystem ufs, String key, Executor io) {
        this.info = info;
        this.ufs = ufs;
        this.key = key;
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
        if (offset >= info.size() || length == 0) {
            return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
        }
        int n = (int) Math.min(length, info.size() - offset);
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = ufs.get(key, offset, n)) {
                return ByteBuffer.wrap(in.readNBytes(n));
            } catch (IOException e) {
                throw new WcacheException.Unavailable(info.path().toString(), "UFS read failed: " + e, e);
            }
        }, io);
    }

    @Override
    public void close() {
    }
}
