package io.wcache.worker.cluster;

import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.ReplicaCopies;
import io.wcache.worker.cache.ReaderPins;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks after the replica copies this worker holds of other workers' versions, once per heartbeat:
 * <ul>
 * <li>a copy no longer needed (its version was persisted, superseded or deleted, or never committed
 * with it) is dropped in the Catalog and its bytes released here;</li>
 * <li>when the worker holding a version's own bytes is dead (its lease lapsed), this worker takes
 * the version over if it holds a whole copy ({@link ReplicaCopies#takeOver}, one transaction, so of
 * several replica holders exactly one wins): its copy becomes the version's bytes, so it serves the
 * version and its persister uploads it, in the path's order (the path's one persist task).</li>
 * </ul>
 * The copies are known from the copy writes this worker sealed and, at start, from the Catalog.
 */
final class ReplicaKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaKeeper.class);

    private record Held(NamespacePath path, long fileId) {
    }

    private final Catalog catalog;
    private final String self;
    private final ClusterView view;
    private final ReaderPins pins;
    private final Map<Long, Held> copies = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    ReplicaKeeper(Catalog catalog, String self, ClusterView view, ReaderPins pins) {
        this.catalog = catalog;
        this.self = self;
        this.view = view;
        this.pins = pins;
        this.timer = Executors.newSingleThreadScheduledExecutor(InternalServer.daemon("wcache-replicas-" + self));
    }

    /** Learns the copies the Catalog says this worker holds, then looks after them every {@code period}. */
    void start(Duration period) {
        timer.execute(() -> {
            try {
                for (ReplicaCopies.Held h : catalog.replicas().heldBy(self)) {
                    copies.put(h.copyFileId(), new Held(h.version().path(), h.version().fileId()));
                }
            } catch (RuntimeException e) {
                LOG.warn("event=replica_copies_unknown worker={} error={}", self, e.toString());
            }
        });
        timer.scheduleWithFixedDelay(this::tick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A copy sealed here: kept while its version needs it. */
    void sealed(NamespacePath path, long fileId, long copyFileId) {
        copies.put(copyFileId, new Held(path, fileId));
    }

    /** Copies this worker holds now (diagnostics, tests). */
    int copies() {
        return copies.size();
    }

    void tick() {
        try {
            takeOver();
            settle();
        } catch (RuntimeException e) {
            LOG.warn("event=replica_check_failed worker={} error={}", self, e.toString());
        }
    }

    private void settle() {
        for (Map.Entry<Long, Held> c : copies.entrySet()) {
            Held h = c.getValue();
            Optional<List<Extent>> dropped = catalog.replicas().settle(h.path(), h.fileId(), c.getKey(), self);
            if (dropped.isPresent()) {
                copies.remove(c.getKey());
                pins.retire(c.getKey(), dropped.get());
                LOG.debug("event=replica_copy_released worker={} path={} copy={} extents={}", self, h.path(),
                        c.getKey(), dropped.get().size());
            }
        }
    }

    /** Takes over the versions whose holder is dead and of which this worker holds a copy. */
    private void takeOver() {
        List<String> dead = view.dead();
        if (dead.isEmpty()) {
            return;
        }
        Set<String> gone = Set.copyOf(dead);
        for (ReplicaCopies.Held h : catalog.replicas().heldBy(self)) {
            String holder = h.versionHolder();
            if (holder.isEmpty() || holder.equals(self) || !gone.contains(holder)) {
                continue;
            }
            Optional<ReplicaCopies.TakenOver> taken = catalog.replicas().takeOver(h.version().path(), h.version().fileId(), holder,
                    self);
            if (taken.isPresent()) {
                copies.remove(h.copyFileId());
                LOG.warn("event=replica_took_over worker={} path={} generation={} dead_holder={} bytes={}", self,
                        h.version().path(), h.version().generation(), holder, h.version().size());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
