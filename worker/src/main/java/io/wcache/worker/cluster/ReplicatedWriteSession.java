package io.wcache.worker.cluster;

import io.wcache.core.cache.ObjectChecksum;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.catalog.ReplicaCopy;
import io.wcache.worker.cache.ReplicableWriteSession;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A write of this worker streamed, as it is appended here, to the other workers that keep a copy
 * ({@code writeReplicas > 1}). Each append is acknowledged once this worker's session and every
 * copy took it. The commit first seals every copy (each answers once all its bytes are durable in
 * its own log), then commits here recording the copies as the version's replicas: an acknowledged
 * write is durable on N workers. A failure anywhere aborts the write everywhere.
 */
final class ReplicatedWriteSession implements WriteSession {

    /** One copy: a stream to another worker over its own internal connection. */
    static final class Copy {
        private final String worker;
        private final InternalClient.Connection connection;
        private final RemoteWriteSession stream;

        Copy(String worker, InternalClient.Connection connection, NamespacePath path, WritePolicy policy) {
            this.worker = worker;
            this.connection = connection;
            this.stream = new RemoteWriteSession(connection, path, policy);
        }

        CompletableFuture<ReplicaCopy> seal(long size) {
            return connection.call(Request.newBuilder().setSeal(size))
                    .thenApply(r -> new ReplicaCopy(worker, r.getCopyFileId()));
        }

        void abort() {
            stream.abort();
        }

        void close() {
            connection.close();
        }
    }

    private final ReplicableWriteSession local;
    private final List<Copy> copies;

    ReplicatedWriteSession(ReplicableWriteSession local, List<Copy> copies) {
        this.local = local;
        this.copies = List.copyOf(copies);
    }

    @Override
    public NamespacePath path() {
        return local.path();
    }

    @Override
    public WritePolicy policy() {
        return local.policy();
    }

    @Override
    public long written() {
        return local.written();
    }

    @Override
    public CompletableFuture<Void> append(ByteBuffer chunk) {
        List<CompletableFuture<Void>> all = new ArrayList<>(copies.size() + 1);
        for (Copy c : copies) {
            all.add(c.stream.append(chunk));
        }
        all.add(local.append(chunk));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<ObjectInfo> commit(Optional<ObjectChecksum> checksum) {
        long size = local.written();
        List<CompletableFuture<ReplicaCopy>> sealed = copies.stream().map(c -> c.seal(size)).toList();
        return CompletableFuture.allOf(sealed.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            if (e != null) {
                return abort().<ObjectInfo>thenCompose(x -> CompletableFuture.failedFuture(
                        io.wcache.core.error.FailureCause.of(e)));
            }
            local.replicatedTo(sealed.stream().map(CompletableFuture::join).toList());
            return local.commit(checksum).whenComplete((info, err) -> copies.forEach(Copy::close));
        }).thenCompose(f -> f);
    }

    @Override
    public CompletableFuture<Void> abort() {
        copies.forEach(Copy::abort);
        return local.abort();
    }
}
