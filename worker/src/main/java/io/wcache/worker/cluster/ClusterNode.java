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
    private final ReplicaKeeper keeper;
    private final ClusterView view;

    private ClusterNode(InternalServer server, InternalClient client, ClusterCacheService service, ReplicaKeeper keeper,
                        ClusterView view) {
        this.server = server;
        this.client = client;
        this.service = service;
        this.keeper = keeper;
        this.view = view;
    }

    /** Listens on {@code bind} and wires the forwarding service; {@code viewTtl} bounds how stale the ring may be. */
    public static ClusterNode start(String workerId, WorkerCacheService local, Catalog catalog, ReaderPins pins,
                                    Membership membership, InetSocketAddress bind, Duration viewTtl, Executor io) {
        InternalClient client = new InternalClient(workerId, io);
        ClusterView view = new ClusterView(membership, viewTtl);
        Replication replication = new Replication(local, workerId, view, client);
        ReplicaKeeper keeper = new ReplicaKeeper(catalog, workerId, view, pins);
        InternalServer server;
        try {
            server = InternalServer.start(local, replication, keeper, pins, workerId, bind);
        } catch (RuntimeException e) {
            client.close();
            keeper.close();
            throw e;
        }
        ClusterCacheService service = new ClusterCacheService(local, catalog, workerId, view, client, replication, io);
        pins.onForeignRetired(service::releaseForeign);
        keeper.start(viewTtl);
        return new ClusterNode(server, client, service, keeper, view);
    }

    /** Reads the membership again at the next question, instead of up to one heartbeat later (workers just started). */
    public void refreshView() {
        view.invalidate();
    }

    /** How this worker reclaims at once when another asks (`wcadm fs free` through it); set by the worker. */
    public void reclaimWith(java.util.function.Supplier<java.util.concurrent.CompletableFuture<Long>> reclaimer) {
        server.reclaimWith(reclaimer);
    }

    /**
     * Has each worker release its extents of {@code byWorker} (dropped from the Catalog by this
     * one) and reclaim at once; one answer per worker in name order, each waited for at most
     * {@code timeout} (then reported as not answering).
     */
    public java.util.List<PeerReclaim> releaseAndReclaim(java.util.Map<String, java.util.List<io.wcache.schema.catalog.Extent>> byWorker,
                                                         Duration timeout) {
        java.util.Map<String, java.util.concurrent.CompletableFuture<PeerReclaim>> asked = new java.util.TreeMap<>();
        byWorker.forEach((w, extents) -> asked.put(w, service.releaseAndReclaim(w, extents)));
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.List<PeerReclaim> out = new java.util.ArrayList<>();
        asked.forEach((w, f) -> {
            try {
                out.add(f.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.TimeoutException e) {
                out.add(new PeerReclaim(w, 0, 0, w + " did not answer within " + timeout));
            } catch (java.util.concurrent.ExecutionException e) {
                out.add(new PeerReclaim(w, 0, 0, String.valueOf(e.getCause())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.add(new PeerReclaim(w, 0, 0, "interrupted"));
            }
        });
        return out;
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
        keeper.close();
        server.close();
        client.close();
    }
}
