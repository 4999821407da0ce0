package io.wcache.worker.cache;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.error.WcacheException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a small UFS object whose whole body one request fetched when it was opened: its reads
 * wait for nothing, and the bytes are loaded into the cache behind them
 * ({@link ReadThroughLoader#loadBehind}).
 */
final class FetchedObjectReader implements ObjectReader {

    private final ObjectInfo info;
    private final byte[] body;

    FetchedObjectReader(ObjectInfo info, byte[] body) {
        this.info = info;
        this.body = body;
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
        if (offset >= body.length || length == 0) {
            return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
        }
        int from = (int) offset;
        int to = (int) Math.min(body.length, offset + length);
        return CompletableFuture.completedFuture(ByteBuffer.wrap(Arrays.copyOfRange(body, from, to)));
    }

    @Override
    public void close() {
    }
}
