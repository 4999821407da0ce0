package io.wcache.core.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A handle on one committed version of an object. Reads stay consistent for the life of the
 * handle (old or new version, never a mix) even across an overwrite or delete of the path;
 * closing it lets the cache reclaim a superseded version's space.
 */
public interface ObjectReader extends AutoCloseable {

    ObjectInfo info();

    /**
     * Reads up to {@code length} bytes at {@code offset} of the object; the returned buffer is
     * the caller's. A read at or past the end returns an empty buffer.
     */
    CompletableFuture<ByteBuffer> read(long offset, int length);

    @Override
    void close();
}
