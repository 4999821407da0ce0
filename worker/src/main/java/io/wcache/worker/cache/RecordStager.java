package io.wcache.worker.cache;

import io.wcache.core.digest.Md5;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The staging shared by the write sessions: appended bytes are copied (so the caller's buffer is
 * free at once) into log records of at most {@link #RECORD} bytes, and their MD5 (the S3 ETag)
 * is kept. A small write stages in a buffer sized for it, grown by doubling; once a write has
 * filled one record it stages whole records. Not thread-safe: the session's lock guards it.
 *
 * <p>The MD5 of a full record is computed on a hashing thread ({@link #HASHER}), in record order,
 * while the record travels to the log: a large body is no longer hashed on the thread that
 * appends it (an S3 event loop, which also decodes and checks the body's signature, or the FUSE
 * thread), nor on the pipeline thread that completes the previous append. Bytes still staged when
 * the digest is asked for (all of a small object) are hashed by the caller, as before.
 *
 * <p>A write that passes {@link #POOLED_FROM} bytes stages in buffers lent by a {@link RecordPool}
 * (direct, reused): a record's buffer goes back once the log has written it and its MD5 is taken
 * ({@link #append}), the staged tail's once the caller's use of it ({@link #takeInto}) and the
 * digest are done, or at {@link #discard()}.
 */
final class RecordStager {

    /** The largest log record a session writes. */
    static final int RECORD = 1 << 20;
    private static final int FIRST = 64 * 1024;
    /** A staging buffer that would grow past this takes a pooled record buffer instead. */
    static final int POOLED_FROM = 256 * 1024;

    /** Hashes full records; each session's records are chained, so one session uses one thread at a time. */
    static final ExecutorService HASHER = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), new HashThreads());

    private final MessageDigest md5;
    /** False: full records are not hashed and the digest is given up once one was handed out. */
    private final boolean hashRecords;
    private final Executor hasher;
    private final RecordPool pool;
    private ByteBuffer staging;
    private long written;
    /** The MD5 of every record handed out has been taken once this completes. */
    private CompletableFuture<Void> hashed = CompletableFuture.completedFuture(null);
    /** Completes once nothing but the caller reads the staged bytes (the digest's last step may). */
    private CompletableFuture<?> stagingRead = hashed;

    RecordStager() {
        this(HASHER, RecordPool.SHARED);
    }

    RecordStager(Executor hasher, RecordPool pool) {
        this(hasher, pool, true);
    }

    private RecordStager(Executor hasher, RecordPool pool, boolean hashRecords) {
        this.md5 = Md5.newDigest();
        this.hasher = hasher;
        this.pool = pool;
        this.hashRecords = hashRecords;
    }

    /**
     * A stager for a write whose ETag may be computed after its commit ({@code
     * WriteOptions.etagLater}): it hashes no full record, so once a record has been handed out its
     * {@link #digest()} is null. A write smaller than a record is hashed at its commit as always
     * (a few microseconds, and no second look at its bytes later).
     */
    static RecordStager withoutMd5() {
        return withoutMd5(RecordPool.SHARED);
    }

    static RecordStager withoutMd5(RecordPool pool) {
        return new RecordStager(HASHER, pool, false);
    }

    /**
     * Copies {@code chunk}'s remaining bytes (its position is not moved); hands each full record to
     * {@code write}, after scheduling its MD5 ({@link #hashed()} is then that record's), and gives
     * {@code track} what completes once that record is written ({@code write}'s future) and
     * hashed, and its buffer is back in the pool; never before: {@code write}'s future must
     * complete only once nothing reads the record any more.
     */
    void append(ByteBuffer chunk, Function<ByteBuffer, CompletableFuture<?>> write,
                Consumer<CompletableFuture<?>> track) {
        ByteBuffer src = chunk.duplicate();
        written += src.remaining();
        while (src.hasRemaining()) {
            makeRoom(src.remaining());
            int n = Math.min(src.remaining(), staging.remaining());
            staging.put(src.slice().limit(n));
            src.position(src.position() + n);
            if (staging.position() == RECORD) {
                ByteBuffer record = staging.flip();
                staging = null;
                // The record's bytes are not changed again (the log only reads them) until the pool lends
                // the buffer again, after this hash: hash a view of them.
                ByteBuffer view = record.duplicate();
                CompletableFuture<Void> recordHashed = !hashRecords ? hashed
                        : hashed.thenRunAsync(() -> md5.update(view), hasher);
                hashed = recordHashed;
                stagingRead = recordHashed;
                CompletableFuture<?> w;
                try {
                    w = write.apply(record);
                } catch (RuntimeException e) {
                    recordHashed.whenComplete((v, x) -> pool.give(record));
                    throw e;
                }
                // Given back before what the caller tracks completes.
                track.accept(CompletableFuture.allOf(w, recordHashed).whenComplete((v, x) -> pool.give(record)));
            }
        }
    }

    /** {@link #append} for callers that track nothing but the records handed to {@code full} (tests). */
    void append(ByteBuffer chunk, Consumer<ByteBuffer> full) {
        append(chunk, r -> {
            full.accept(r);
            return CompletableFuture.completedFuture(null);
        }, f -> { });
    }

    /** Completes once the MD5 of every full record handed out so far has been taken. */
    CompletableFuture<Void> hashed() {
        return hashed;
    }

    /** The staged bytes not yet handed out, ready to read, or null when there are none (see {@link #takeInto}). */
    private ByteBuffer take() {
        if (staging == null || staging.position() == 0) {
            return null;
        }
        ByteBuffer body = staging.flip();
        staging = null;
        return body;
    }

    /**
     * Hands the staged bytes not yet handed out (or null) to {@code use}; what it returns completes
     * once {@code use}'s future has and their buffer is back in the pool (given back at once if
     * {@code use} throws). The digest, if asked for, must be done by then.
     */
    <T> CompletableFuture<T> takeInto(Function<ByteBuffer, CompletableFuture<T>> use) {
        ByteBuffer last = take();
        CompletableFuture<?> read = stagingRead;
        CompletableFuture<T> f;
        try {
            f = use.apply(last);
        } catch (RuntimeException e) {
            release(last, read);
            throw e;
        }
        return last == null ? f : f.whenComplete((r, e) -> release(last, read));
    }

    /** Gives a staging buffer back once {@code read} (the digest's reading of it) is done: at once when it is. */
    private void release(ByteBuffer b, CompletableFuture<?> read) {
        if (b == null) {
            return;
        }
        if (read.isDone()) {
            pool.give(b);
        } else {
            read.whenComplete((v, e) -> pool.give(b));
        }
    }

    /** Forgets the staged bytes (an aborted write); their buffer goes back once the digest no longer reads it. */
    void discard() {
        ByteBuffer b = staging;
        staging = null;
        release(b, stagingRead);
    }

    /** Bytes appended so far. */
    long written() {
        return written;
    }

    /**
     * The MD5 of everything appended (ends the digest: call once, at commit, after the last append
     * and before {@link #takeInto}). Completes at once when no record is still being hashed, as for
     * every object smaller than a record; the staged bytes are hashed by the caller then. Null
     * from a stager {@link #withoutMd5() without MD5} that handed out a full record.
     */
    CompletableFuture<byte[]> digest() {
        if (!hashRecords && written >= RECORD) {
            // A full record went out unhashed: no MD5 of the whole can be taken.
            return CompletableFuture.completedFuture(null);
        }
        ByteBuffer rest = staging == null ? null : staging.duplicate().flip();
        if (hashed.isDone() && !hashed.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(finish(rest));
        }
        CompletableFuture<byte[]> d = hashed.thenApply(v -> finish(rest));
        stagingRead = d;
        return d;
    }

    private byte[] finish(ByteBuffer rest) {
        if (rest != null) {
            md5.update(rest);
        }
        return md5.digest();
    }

    private void makeRoom(int incoming) {
        if (staging == null) {
            staging = written > POOLED_FROM || incoming > POOLED_FROM ? pool.take()
                    : ByteBuffer.allocate(Math.min(RECORD, Math.max(FIRST, incoming)));
        } else if (!staging.hasRemaining() && staging.capacity() < RECORD) {
            int wanted = Math.max(staging.capacity() * 2, staging.position() + incoming);
            ByteBuffer bigger = wanted > POOLED_FROM ? pool.take() : ByteBuffer.allocate(wanted);
            staging.flip();
            bigger.put(staging);
            staging = bigger;
        }
    }

    /** Daemon threads named {@code wcache-hash-N}: hashing never keeps a JVM alive. */
    private static final class HashThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "wcache-hash-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
