package io.wcache.worker.cache;

import io.wcache.core.digest.Md5;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.function.Consumer;

/**
 * The staging shared by the write sessions: appended bytes are copied (so the caller's buffer is
 * free at once) into log records of at most {@link #RECORD} bytes, and their MD5 (the S3 ETag)
 * is kept. A small write stages in a buffer sized for it, grown by doubling; once a write has
 * filled one record it stages whole records. Not thread-safe: the session's lock guards it.
 */
final class RecordStager {

    /** The largest log record a session writes. */
    static final int RECORD = 1 << 20;
    private static final int FIRST = 64 * 1024;

    private final MessageDigest md5;
    private ByteBuffer staging;
    private long written;
    private boolean filledOne;

    RecordStager() {
        this.md5 = Md5.newDigest();
    }

    /** Copies {@code chunk}'s remaining bytes (its position is not moved); hands each full record to {@code full}. */
    void append(ByteBuffer chunk, Consumer<ByteBuffer> full) {
        ByteBuffer src = chunk.duplicate();
        md5.update(src.duplicate());
        written += src.remaining();
        while (src.hasRemaining()) {
            makeRoom(src.remaining());
            int n = Math.min(src.remaining(), staging.remaining());
            staging.put(src.slice().limit(n));
            src.position(src.position() + n);
            if (staging.position() == RECORD) {
                filledOne = true;
                full.accept(take());
            }
        }
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

    /** The MD5 of everything appended (ends the digest: call once, at commit). */
    byte[] digest() {
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
}
