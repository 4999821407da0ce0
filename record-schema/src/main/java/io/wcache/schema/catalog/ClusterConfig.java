package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.RecordTypes.as;

import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.proto.WcacheRecords;
import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Catalog's cluster and path configuration ({@link Catalog#cluster()}): path rules (write
 * policy by prefix), mounts (buckets) and the configuration version workers poll, the registered
 * workers (their membership leases are {@link Membership}'s), and each worker's pinned and
 * evictable bytes. Each method is one transaction;
 * the byte counters change only through atomic adds, so hot counters never cause conflicts.
 */
public final class ClusterConfig {

    private final CatalogTransactions transactions;

    ClusterConfig(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    // ---------------------------------------------------------------- path rules

    /** Adds or replaces the rule for its prefix. */
    public void putPathRule(PathRule rule) {
        transactions.run(t -> {
            t.store.saveRecord(WcacheRecords.PathPolicy.newBuilder().setPrefix(rule.prefix().toString())
                    .setPolicy(rule.policy().name()).setWriteReplicas(rule.writeReplicas()).setUpdatedTimeMs(t.now).build());
            t.space.bumpConfigVersion();
            return null;
        });
    }

    /** Removes the rule for {@code prefix}; false if there was none. */
    public boolean removePathRule(NamespacePath prefix) {
        return transactions.run(t -> {
            boolean removed = t.store.deleteRecord(Tuple.from(RecordTypes.POLICY, prefix.toString()));
            if (removed) {
                t.space.bumpConfigVersion();
            }
            return removed;
        });
    }

    public List<PathRule> pathRules() {
        return transactions.run(t -> t.scanType(RecordTypes.POLICY, Integer.MAX_VALUE).stream().map(m -> {
            WcacheRecords.PathPolicy p = as(m, WcacheRecords.PathPolicy.getDefaultInstance());
            return new PathRule(NamespacePath.of(p.getPrefix()), WritePolicy.valueOf(p.getPolicy()), p.getWriteReplicas());
        }).toList());
    }

    /** {@code base} (global default, write-cache switch) with the rules stored in metadata. */
    public PathConfig pathConfig(PathConfig base) {
        return PathConfig.of(base.defaultPolicy(), base.defaultWriteReplicas(), base.writeCacheEnabled(), pathRules());
    }

    // ---------------------------------------------------------------- mounts

    /** @throws WcacheException.AlreadyExists if a mount with that name exists */
    public void addMount(Mount mount) {
        String path = mount.path().toString();
        transactions.run(t -> {
            if (t.store.loadRecord(Tuple.from(RecordTypes.MOUNT, path)) != null) {
                throw new WcacheException.AlreadyExists(path, "mount " + mount.path() + " already exists");
            }
            t.store.saveRecord(WcacheRecords.Mount.newBuilder().setPath(path)
                    .setUfsUri(mount.ufsUri().toString()).addAllOptions(RecordMapping.keyValues(mount.options()))
                    .setCreatedTimeMs(t.now).build());
            t.store.deleteRecord(Tuple.from(RecordTypes.MOUNT_SEEN, path));
            t.space.bumpConfigVersion();
            return null;
        });
    }

    /** @throws WcacheException.NotFound if there is no such mount */
    public void removeMount(String mountName) {
        transactions.run(t -> {
            t.store.deleteRecord(Tuple.from(RecordTypes.MOUNT_SEEN, "/" + mountName));
            if (!t.store.deleteRecord(Tuple.from(RecordTypes.MOUNT, "/" + mountName))) {
                throw new WcacheException.NotFound(mountName, "no mount (bucket) named '" + mountName + "'");
            }
            t.space.bumpConfigVersion();
            return null;
        });
    }

    public MountTable mountTable() {
        return transactions.run(t -> MountTable.of(t.scanType(RecordTypes.MOUNT, Integer.MAX_VALUE).stream().map(m -> {
            WcacheRecords.Mount r = as(m, WcacheRecords.Mount.getDefaultInstance());
            return new Mount(NamespacePath.of(r.getPath()), URI.create(r.getUfsUri()), RecordMapping.map(r.getOptionsList()));
        }).toList()));
    }

    /**
     * The creation times of the named mounts (bucket creation dates), in one transaction: a Mount
     * record's creation time, or else when the mount was first seen here (a configured mount),
     * recorded now if it was never seen before and kept from then on. A Mount record from before
     * creation times were kept gets the time it is first asked about.
     */
    public Map<String, Instant> mountCreationTimes(Collection<String> mountNames) {
        return transactions.run(t -> {
            Map<String, Instant> out = new TreeMap<>();
            for (String name : mountNames) {
                out.put(name, Instant.ofEpochMilli(creationTimeMs(t, "/" + name)));
            }
            return out;
        });
    }

    private static long creationTimeMs(Tx t, String path) {
        WcacheRecords.Mount m = t.load(Tuple.from(RecordTypes.MOUNT, path), WcacheRecords.Mount.getDefaultInstance());
        if (m != null) {
            if (m.getCreatedTimeMs() <= 0) {
                m = m.toBuilder().setCreatedTimeMs(t.now).build();
                t.store.saveRecord(m);
            }
            return m.getCreatedTimeMs();
        }
        WcacheRecords.MountSeen seen = t.load(Tuple.from(RecordTypes.MOUNT_SEEN, path),
                WcacheRecords.MountSeen.getDefaultInstance());
        if (seen != null) {
            return seen.getFirstSeenTimeMs();
        }
        t.store.saveRecord(WcacheRecords.MountSeen.newBuilder().setPath(path).setFirstSeenTimeMs(t.now).build());
        return t.now;
    }

    /**
     * A counter that grows with every path-rule or mount change: workers poll it (one key read)
     * and reload the path config and mount table only when it moved.
     */
    public long configVersion() {
        return transactions.run(t -> t.space.configVersion());
    }

    // ---------------------------------------------------------------- workers and space

    /** Every registered worker's record (registered and renewed by {@link Membership}). */
    public List<WorkerInfo> workers() {
        return transactions.run(t -> t.scanType(RecordTypes.WORKER, Integer.MAX_VALUE).stream()
                .map(m -> RecordMapping.worker(as(m, WcacheRecords.Worker.getDefaultInstance()))).toList());
    }

    public SpaceUsage spaceUsage(String worker) {
        return transactions.run(t -> new SpaceUsage(t.space.read(worker, "pinned"), t.space.read(worker, "evictable")));
    }

    /** Adjusts a worker's counters, e.g. when its log store evicts persisted bytes. */
    public void adjustSpace(String worker, long pinnedDelta, long evictableDelta) {
        transactions.run(t -> {
            t.space.add(worker, pinnedDelta, evictableDelta);
            return null;
        });
    }
}
