package io.wcache.worker.cluster;

import com.google.protobuf.ByteString;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.worker.cluster.proto.ClusterMessages;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A write session held by another worker, driven over one internal-transport connection: each
 * append is sent and acknowledged once that worker's session took it, so at most one append's
 * bytes are in flight per session (the frontend waits for each append before reading more of the
 * client's body: the body streams, it is never held whole). Commit answers the committed object.
 */
final class RemoteWriteSession implements WriteSession {

    private final InternalClient.Connection connection;
    private final NamespacePath path;
    private final WritePolicy policy;
    private final AtomicLong written = new AtomicLong();

    RemoteWriteSession(InternalClient.Connection connection, NamespacePath path, WritePolicy policy) {
        this.connection = connection;
        this.path = path;
        this.policy = policy;
    }

    @Override
    public NamespacePath path() {
        return path;
    }

    @Override
    public WritePolicy policy() {
        return policy;
    }

    @Override
    public long written() {
        return written.get();
    }

    @Override
    public CompletableFuture<Void> append(ByteBuffer chunk) {
        ByteBuffer rest = chunk.duplicate();
        return sendFrom(rest);
    }

    private CompletableFuture<Void> sendFrom(ByteBuffer rest) {
        int n = Math.min(rest.remaining(), Framing.MAX_PIECE);
        ByteBuffer piece = rest.duplicate();
        piece.limit(piece.position() + n);
        rest.position(rest.position() + n);
        return connection.call(Request.newBuilder().setAppend(ByteString.copyFrom(piece))).thenCompose(r -> {
            written.addAndGet(n);
            return rest.hasRemaining() ? sendFrom(rest) : CompletableFuture.completedFuture(null);
        });
    }

    @Override
    public CompletableFuture<ObjectInfo> commit(java.util.Optional<ObjectChecksum> checksum) {
        ClusterMessages.Commit.Builder c = ClusterMessages.Commit.newBuilder();
        checksum.ifPresent(x -> c.setChecksum(Wire.checksum(x)));
        return connection.call(Request.newBuilder().setCommit(c)).thenApply(r -> Wire.info(r.getInfo()))
                .whenComplete((i, e) -> connection.close());
    }

    @Override
    public CompletableFuture<Void> abort() {
        return connection.call(Request.newBuilder().setAbort(true)).<Void>thenApply(r -> null)
                .exceptionally(e -> null) // the connection's end aborts it on the other side anyway
                .whenComplete((v, e) -> connection.close());
    }
}
