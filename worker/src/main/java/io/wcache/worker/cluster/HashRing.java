package io.wcache.worker.cluster;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.digest.Md5;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A consistent-hash ring over worker ids with {@link #VIRTUAL_NODES} points per worker: a path's
 * owner is the first worker at or after the path's hash, its replica successors the next distinct
 * workers clockwise. Adding or removing a worker moves only the paths of the arcs it gains or
 * loses. Immutable; the same ids always give the same ring (the hash is MD5, not a seeded hash),
 * so every worker computes the same placement from the same membership.
 */
public final class HashRing {

    /** Points per worker: enough that three workers' shares stay within a few percent of a third. */
    public static final int VIRTUAL_NODES = 128;

    private final NavigableMap<Long, String> points;
    private final Set<String> workers;

    private HashRing(NavigableMap<Long, String> points, Set<String> workers) {
        this.points = points;
        this.workers = workers;
    }

    public static HashRing of(Collection<String> workerIds) {
        NavigableMap<Long, String> p = new TreeMap<>();
        for (String w : new TreeSet<>(workerIds)) {
            for (int v = 0; v < VIRTUAL_NODES; v++) {
                // On a (rare) collision the smaller id keeps the point: deterministic on every worker.
                p.putIfAbsent(hash(w + "#" + v), w);
            }
        }
        return new HashRing(p, Set.copyOf(new TreeSet<>(workerIds)));
    }

    public Set<String> workers() {
        return workers;
    }

    public boolean isEmpty() {
        return points.isEmpty();
    }

    /** The owner of {@code path} followed by up to {@code n - 1} distinct successors; empty on an empty ring. */
    public List<String> placement(NamespacePath path, int n) {
        List<String> out = new ArrayList<>(Math.min(n, workers.size()));
        if (points.isEmpty()) {
            return out;
        }
        long h = hash(path.toString());
        var it = points.tailMap(h, true).values().iterator();
        boolean wrapped = false;
        while (out.size() < Math.min(n, workers.size())) {
            if (!it.hasNext()) {
                if (wrapped) {
                    break;
                }
                it = points.values().iterator();
                wrapped = true;
                continue;
            }
            String w = it.next();
            if (!out.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    /** The worker that owns {@code path}; {@code null} on an empty ring. */
    public String owner(NamespacePath path) {
        List<String> p = placement(path, 1);
        return p.isEmpty() ? null : p.get(0);
    }

    /** Each worker's share of the hash space (the paths it owns, on average), summing to 1. */
    public Map<String, Double> shares() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String w : workers) {
            out.put(w, 0.0);
        }
        if (points.isEmpty()) {
            return out;
        }
        // A point owns the arc from its predecessor (exclusive) up to itself; the first wraps around.
        long prev = points.lastKey();
        for (Map.Entry<Long, String> e : points.entrySet()) {
            double arc = points.size() == 1 ? TWO_TO_64 : unsigned(e.getKey() - prev);
            out.merge(e.getValue(), arc / TWO_TO_64, Double::sum);
            prev = e.getKey();
        }
        return out;
    }

    private static final double TWO_TO_64 = 18446744073709551616.0;

    private static double unsigned(long v) {
        return v >= 0 ? (double) v : TWO_TO_64 + (double) v;
    }

    /** The first 8 bytes of the MD5 of {@code key}, as a signed long (the ring's order is signed). */
    static long hash(String key) {
        MessageDigest md = Md5.newDigest();
        return ByteBuffer.wrap(md.digest(key.getBytes(StandardCharsets.UTF_8))).getLong();
    }
}
