package io.wcache.worker.cluster;

import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.Resolution;
import io.wcache.worker.cache.ReplicableWriteSession;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.worker.cluster.proto.ClusterMessages;
import io.wcache.worker.cluster.proto.ClusterMessages.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes on this worker with {@code writeReplicas = N > 1} ({@code WRITE_BACK}, {@code TRANSIENT}):
 * the local session plus a copy on each of N - 1 other live workers, the path's successors on the
 * ring first (a successor that cannot be reached is skipped for the next one). The write is a
 * {@link ReplicatedWriteSession}: acknowledged once every copy is durable and the commit recorded
 * them. With fewer than N workers able to take a copy, the write is refused ({@code Unavailable}:
 * S3 503, FUSE {@code EIO}) before any byte is taken: a user who asked for N copies is never
 * acknowledged with fewer.
 */
final class Replication {

    private static final Logger LOG = LoggerFactory.getLogger(Replication.class);

    private final WorkerCacheService local;
    private final String self;
    private final ClusterView view;
    private final InternalClient client;

    Replication(WorkerCacheService local, String self, ClusterView view, InternalClient client) {
        this.local = local;
        this.self = self;
        this.view = view;
        this.client = client;
    }

    /** Opens a write of {@code path} on this worker, with the copies its rule asks for. */
    CompletableFuture<WriteSession> create(NamespacePath path, WriteOptions options) {
        Resolution r;
        try {
            r = local.resolvePolicy(path);
        } catch (RuntimeException e) {
            return local.create(path, options); // the local service reports the bad path
        }
        int n = r.writeReplicas();
        if (n <= 1 || !r.policy().pinsData()) {
            return local.create(path, options);
        }
        List<String> candidates = new ArrayList<>(view.placement(path));
        candidates.remove(self);
        return local.create(path, options).thenCompose(ws -> {
            if (!(ws instanceof ReplicableWriteSession rs)) {
                return CompletableFuture.completedFuture(ws);
            }
            CompletableFuture<WriteSession> out = new CompletableFuture<>();
            List<ReplicatedWriteSession.Copy> copies = new ArrayList<>();
            openCopies(rs, path, r, candidates, 0, n - 1, copies, new ArrayList<>()).whenComplete((v, e) -> {
                if (e == null) {
                    out.complete(new ReplicatedWriteSession(rs, copies));
                    return;
                }
                copies.forEach(ReplicatedWriteSession.Copy::abort);
                rs.abort().whenComplete((x, y) -> out.completeExceptionally(FailureCause.of(e)));
            });
            return out;
        });
    }

    /** Opens copies on {@code candidates[from..]} one at a time until {@code need} are open. */
    private CompletableFuture<Void> openCopies(ReplicableWriteSession rs, NamespacePath path, Resolution r,
                                               List<String> candidates, int from, int need,
                                               List<ReplicatedWriteSession.Copy> copies, List<String> refused) {
        if (copies.size() >= need) {
            return CompletableFuture.completedFuture(null);
        }
        if (from >= candidates.size()) {
            int live = candidates.size() + 1;
            return CompletableFuture.failedFuture(new WcacheException.Unavailable(path.toString(), path
                    + " is written with writeReplicas " + r.writeReplicas() + " (" + r.explanation() + "), which needs "
                    + r.writeReplicas() + " live workers to hold a copy; only " + (copies.size() + 1) + " could ("
                    + live + " live" + (refused.isEmpty() ? "" : "; failed: " + String.join(", ", refused))
                    + "). Retry once a worker is back, or lower writeReplicas", null));
        }
        String worker = candidates.get(from);
        var member = view.member(worker).filter(m -> m.alive() && !m.addresses().internal().isEmpty());
        if (member.isEmpty()) {
            refused.add(worker + " (not live)");
            return openCopies(rs, path, r, candidates, from + 1, need, copies, refused);
        }
        Request.Builder open = Request.newBuilder().setCopy(ClusterMessages.CopyOpen.newBuilder()
                .setPath(path.toString()).setFileId(rs.fileId()).setPolicy(r.policy().name()));
        return client.connect(worker, member.get().addresses().internal())
                .thenCompose(c -> c.call(open).whenComplete((x, e) -> {
                    if (e != null) {
                        c.close();
                    }
                }).thenApply(x -> new ReplicatedWriteSession.Copy(worker, c, path, r.policy())))
                .handle((copy, e) -> {
                    if (e == null) {
                        copies.add(copy);
                        return openCopies(rs, path, r, candidates, from + 1, need, copies, refused);
                    }
                    Throwable cause = FailureCause.of(e);
                    LOG.debug("event=replica_refused path={} worker={} error={}", path, worker, cause.toString());
                    if (cause instanceof InternalClient.Unreachable) {
                        view.invalidate();
                    }
                    refused.add(worker + " (" + cause.getMessage() + ")");
                    return openCopies(rs, path, r, candidates, from + 1, need, copies, refused);
                }).thenCompose(f -> f);
    }
}
