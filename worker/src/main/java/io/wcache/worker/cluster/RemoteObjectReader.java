package io.wcache.worker.cluster;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.worker.cluster.proto.ClusterMessages.Read;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A reader opened on another worker, over one internal-transport connection: the version it saw
 * at open stays readable there until this reader closes (its reader pins), whatever happens to
 * the path meanwhile. Each read asks for one piece; the caller asks for the next when it has sent
 * the last, so the body streams.
 */
final class RemoteObjectReader implements ObjectReader {

    private final InternalClient.Connection connection;
    private final ObjectInfo info;

    RemoteObjectReader(InternalClient.Connection connection, ObjectInfo info) {
        this.connection = connection;
        this.info = info;
    }

    @Override
    public ObjectInfo info() {
        return info;
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long offset, int length) {
        int n = Math.min(length, Framing.MAX_PIECE);
        return connection.call(Request.newBuilder().setRead(Read.newBuilder().setOffset(offset).setLength(n)))
                .thenApply(r -> ByteBuffer.wrap(r.getData().toByteArray()));
    }

    @Override
    public void close() {
        connection.close();
    }
}
