package io.wcache.worker.cluster;

import io.wcache.core.cache.CacheService;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Membership;
import io.wcache.worker.cache.ReaderPins;
import io.wcache.worker.cache.WorkerCacheService;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * A worker's part in the cluster: the internal transport's server (serving forwarded operations
 * from the worker's own cache service) and client, the membership view with its ring, and the
 * {@link ClusterCacheService} its frontends use. Extents of other workers that this worker
 * retires go back to their holders through it.
 */
public final class ClusterNode implements AutoCloseable {

    private final InternalServer server;
    private final InternalClient client;
    private final ClusterCacheService service;

    private ClusterNode(InternalServer server, InternalClient client, ClusterCacheService service) {
        this.server = server;
        this.client = client;
        this.service = service;
    }

    /** Listens on {@code bind} and wires the forwarding service; {@code viewTtl} bounds how stale the ring may be. */
    public static ClusterNode start(String workerId, WorkerCacheService local, Catalog catalog, ReaderPins pins,
                                    Membership membership, InetSocketAddress bind, Duration viewTtl, Executor io) {
        InternalServer server = InternalServer.start(local, pins, workerId, bind);
        InternalClient client = new InternalClient(workerId, io);
        ClusterCacheService service = new ClusterCacheService(local, catalog, workerId,
                new ClusterView(membership, viewTtl), client, io);
        pins.onForeignRetired(service::releaseForeign);
        return new ClusterNode(server, client, service);
    }

    /** What the frontends use: the local cache service, forwarding what another worker serves. */
    public CacheService service() {
        return service;
    }

    /** The internal transport's bound address, as other workers reach it. */
    public String internalAddress() {
        return server.addressText();
    }

    /** Stops serving forwarded operations (their connections close: unfinished writes abort) and forwarding. */
    @Override
    public void close() {
        server.close();
        client.close();
    }
}
