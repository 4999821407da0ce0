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
 */
final class RecordStager {

    /** The largest log record a session writes. */
    static final int RECORD = 1 << 20;
    private static final int FIRST = 64 * 1024;

    /** Hashes full records; each session's records are chained, so one session uses one thread at a time. */
    static final ExecutorService HASHER = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), new HashThreads());

    private final MessageDigest md5;
    private final Executor hasher;
    private ByteBuffer staging;
    private long written;
    private boolean filledOne;
    /** The MD5 of every record handed out has been taken once this completes. */
    private CompletableFuture<Void> hashed = CompletableFuture.completedFuture(null);

    RecordStager() {
        this(HASHER);
    }

    RecordStager(Executor hasher) {
        this.md5 = Md5.newDigest();
        this.hasher = hasher;
    }

    /**
     * Copies {@code chunk}'s remaining bytes (its position is not moved); hands each full record to
     * {@code full}, after scheduling its MD5 ({@link #hashed()} is then that record's).
     */
    void append(ByteBuffer chunk, Consumer<ByteBuffer> full) {
        ByteBuffer src = chunk.duplicate();
        written += src.remaining();
        while (src.hasRemaining()) {
            makeRoom(src.remaining());
            int n = Math.min(src.remaining(), staging.remaining());
            staging.put(src.slice().limit(n));
            src.position(src.position() + n);
            if (staging.position() == RECORD) {
                filledOne = true;
                ByteBuffer record = take();
                // The record's bytes are not changed again (the log only reads them): hash a view of them
                // (not a read-only one, which MessageDigest would copy through a small array).
                ByteBuffer view = record.duplicate();
                hashed = hashed.thenRunAsync(() -> md5.update(view), hasher);
                full.accept(record);
            }
        }
    }

    /** Completes once the MD5 of every full record handed out so far has been taken. */
    CompletableFuture<Void> hashed() {
        return hashed;
    }

    /** The staged bytes not yet handed out, ready to read, or null when there are none. */
    ByteBuffer take() {
        if (staging == null || staging.position() == 0) {
            return null;
        }
        ByteBuffer body = staging.flip();
        staging = null;
        return body;
    }

    /** Forgets the staged bytes (an aborted write). */
    void discard() {
        staging = null;
    }

    /** Bytes appended so far. */
    long written() {
        return written;
    }

    /**
     * The MD5 of everything appended (ends the digest: call once, at commit, after the last append
     * and before {@link #take()}). Completes at once when no record is still being hashed, as for
     * every object smaller than a record; the staged bytes are hashed by the caller then.
     */
    CompletableFuture<byte[]> digest() {
        ByteBuffer rest = staging == null ? null : staging.duplicate().flip();
        if (hashed.isDone() && !hashed.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(finish(rest));
        }
        return hashed.thenApply(v -> finish(rest));
    }

    private byte[] finish(ByteBuffer rest) {
        if (rest != null) {
            md5.update(rest);
        }
        return md5.digest();
    }

    private void makeRoom(int incoming) {
        if (staging == null) {
            staging = ByteBuffer.allocate(filledOne ? RECORD : Math.min(RECORD, Math.max(FIRST, incoming)));
        } else if (!staging.hasRemaining() && staging.capacity() < RECORD) {
            int wanted = Math.min(RECORD, Math.max(staging.capacity() * 2, staging.position() + incoming));
            ByteBuffer bigger = ByteBuffer.allocate(wanted);
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
