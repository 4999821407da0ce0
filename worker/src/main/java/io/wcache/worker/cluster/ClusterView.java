package io.wcache.worker.cluster;

import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.Membership;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One worker's view of the membership and the ring, read from the Catalog at most once per
 * {@code ttl} (the heartbeat interval): a worker that died is left out of the ring within one
 * lease plus one heartbeat, and until then a forward to it fails to connect and is served
 * locally instead.
 */
final class ClusterView {

    private record Snapshot(long readNanos, Map<String, Membership.Member> members, HashRing ring) {
    }

    private final Membership membership;
    private final long ttlNanos;
    private volatile Snapshot snapshot;

    ClusterView(Membership membership, java.time.Duration ttl) {
        this.membership = membership;
        this.ttlNanos = ttl.toNanos();
    }

    private Snapshot now() {
        Snapshot s = snapshot;
        if (s != null && System.nanoTime() - s.readNanos() < ttlNanos) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && System.nanoTime() - s.readNanos() < ttlNanos) {
                return s;
            }
            List<Membership.Member> all = membership.members();
            Map<String, Membership.Member> byId = all.stream()
                    .collect(Collectors.toMap(Membership.Member::id, Function.identity()));
            HashRing ring = HashRing.of(all.stream().filter(m -> m.state() == Membership.Member.State.LIVE)
                    .map(Membership.Member::id).toList());
            s = new Snapshot(System.nanoTime(), byId, ring);
            snapshot = s;
            return s;
        }
    }

    /** Forgets the cached view: the next question reads the membership again. */
    void invalidate() {
        snapshot = null;
    }

    /** The owner of {@code path} among the live workers; empty if none is live. */
    Optional<String> owner(NamespacePath path) {
        return Optional.ofNullable(now().ring().owner(path));
    }

    /**
     * Whether no worker but {@code self} was ever registered (a single worker): then no bytes can
     * be held elsewhere, and a read needs no look at the path's holder.
     */
    boolean alone(String self) {
        Map<String, Membership.Member> members = now().members();
        return members.isEmpty() || members.size() == 1 && members.containsKey(self);
    }

    /** The owner of {@code path} and every other live worker after it on the ring, in ring order. */
    List<String> placement(NamespacePath path) {
        HashRing ring = now().ring();
        return ring.placement(path, ring.workers().size());
    }

    /** Registered workers whose lease has lapsed (or that left). */
    List<String> dead() {
        return now().members().values().stream().filter(m -> !m.alive()).map(Membership.Member::id).toList();
    }

    Optional<Membership.Member> member(String id) {
        return Optional.ofNullable(now().members().get(id));
    }
}
