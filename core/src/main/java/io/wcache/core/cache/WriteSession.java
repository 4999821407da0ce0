package io.wcache.core.cache;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An open write: {@code append*} then {@code commit} or {@code abort}. Appends are sequential
 * and streamed in chunks (an object is never buffered whole). The caller keeps ownership of
 * each buffer passed to {@link #append} and must not modify it until the returned future
 * completes.
 *
 * <p>When {@link #commit()} completes normally, the write is acknowledged with exactly the
 * guarantee of {@link #policy()}: for {@code WRITE_BACK}/{@code TRANSIENT} its data is fsynced and
 * its metadata committed, so it survives {@code kill -9}; for {@code WRITE_THROUGH} and
 * {@code NO_CACHE} the UFS upload is also done.
 */
public interface WriteSession {

    NamespacePath path();

    /** The policy this write runs under, fixed when the session was opened. */
    WritePolicy policy();

    /** Bytes appended so far. */
    long written();

    /** Appends the remaining bytes of {@code chunk} at offset {@link #written()}. */
    CompletableFuture<Void> append(ByteBuffer chunk);

    /**
     * Whether {@link #append} has copied (or refused) the chunk's bytes by the time it returns, so
     * the caller may reuse or free the buffer at once; the returned future then only says when the
     * session is ready for more (its backpressure). A caller whose buffer lives only as long as a
     * call (a FUSE request's) hands it over without a copy of its own when this is true.
     */
    default boolean copiesOnAppend() {
        return false;
    }

    /** Makes the written bytes the current version of the path (or the part, for a multipart session). */
    default CompletableFuture<ObjectInfo> commit() {
        return commit(Optional.empty());
    }

    /**
     * Commits as {@link #commit()}, storing {@code checksum} (verified by the caller against the
     * written bytes) with the version or part; a session that cannot store one (a {@code NO_CACHE}
     * write) commits without it.
     */
    CompletableFuture<ObjectInfo> commit(Optional<ObjectChecksum> checksum);

    /** Discards the session and its bytes; idempotent, and a no-op after a commit. */
    CompletableFuture<Void> abort();
}
