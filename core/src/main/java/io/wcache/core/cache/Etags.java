package io.wcache.core.cache;

import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The ETag of an object that committed without one ({@link ObjectInfo#etagPending()}): the MD5 of
 * its bytes, read through a reader of that very version, so the ETag always describes the bytes a
 * GET of the version returns.
 */
public final class Etags {

    /** Bytes read per step while hashing. */
    static final int STEP = 1 << 20;

    private Etags() {
    }

    /** The hex MD5 of the {@code reader}'s object, read from its start in steps, hashed on {@code hashing}. */
    public static CompletableFuture<String> md5Of(ObjectReader reader, Executor hashing) {
        MessageDigest md5 = Md5.newDigest();
        long size = reader.info().size();
        return step(reader, md5, 0, size, hashing).thenApply(v -> HexFormat.of().formatHex(md5.digest()));
    }

    private static CompletableFuture<Void> step(ObjectReader reader, MessageDigest md5, long offset, long size,
                                                Executor hashing) {
        if (offset >= size) {
            return CompletableFuture.completedFuture(null);
        }
        int want = (int) Math.min(STEP, size - offset);
        return reader.read(offset, want).thenComposeAsync(buf -> {
            int n = buf.remaining();
            if (n == 0) {
                return CompletableFuture.failedFuture(new WcacheException.Unavailable(reader.info().path().toString(),
                        "the object ended at byte " + offset + " of " + size + " while its ETag was computed", null));
            }
            md5.update(buf);
            return step(reader, md5, offset + n, size, hashing);
        }, hashing);
    }

    /**
     * The version {@code reader} reads with its ETag: as it is when known, else computed from the
     * reader's bytes and recorded with {@code cache} (for the next asker). The reader stays open.
     */
    public static CompletableFuture<ObjectInfo> resolve(CacheService cache, ObjectReader reader, Executor hashing) {
        ObjectInfo info = reader.info();
        if (!info.etagPending()) {
            return CompletableFuture.completedFuture(info);
        }
        return md5Of(reader, hashing).thenCompose(etag -> cache.recordEtag(info.path(), info.generation(), etag)
                .thenApply(recorded -> info.withEtag(etag)));
    }

    /**
     * {@code info} with its ETag: as it is when known, else computed from the path's committed
     * version read through {@code cache} and recorded. When the path has changed since {@code info}
     * was read, the answer is the version read now (with its ETag), as a later look would have seen.
     */
    public static CompletableFuture<ObjectInfo> resolve(CacheService cache, ObjectInfo info, Executor hashing) {
        if (!info.etagPending()) {
            return CompletableFuture.completedFuture(info);
        }
        return cache.open(info.path()).thenCompose(reader -> resolve(cache, reader, hashing)
                .whenComplete((r, e) -> reader.close()));
    }

    /** A {@link ObjectReader} reading {@code inner} but answering {@code info} (its version, with the ETag now known). */
    public static ObjectReader withInfo(ObjectReader inner, ObjectInfo info) {
        return new ObjectReader() {
            @Override
            public ObjectInfo info() {
                return info;
            }

            @Override
            public CompletableFuture<ByteBuffer> read(long offset, int length) {
                return inner.read(offset, length);
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }
}
