package io.wcache.properties.cache;

import io.wcache.core.policy.WritePolicy;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the worker should hold: for each key, the set of versions it may show. After an
 * acknowledged write or delete the set has one member; a write whose outcome is unknown (killed
 * mid-flight, refused by a UFS outage after it may have committed, concurrent writers) adds
 * candidates, and the next observation narrows the set to what was seen. A key is never allowed
 * to show anything outside its set.
 */
final class Model {

    /** One committed body ({@link Bodies}) and the policy it was written under; {@link #ABSENT} for "no object". */
    record Version(long seed, int size, WritePolicy policy, boolean multipart) {
        static final Version ABSENT = new Version(-1, 0, null, false);

        Version(long seed, int size, WritePolicy policy) {
            this(seed, size, policy, false);
        }

        /** The ETag S3 gives this version. */
        String etag() {
            return multipart ? Bodies.multipartEtag(bytes()) : Bodies.md5(bytes());
        }

        boolean absent() {
            return seed < 0;
        }

        byte[] bytes() {
            return Bodies.bytes(seed, size);
        }

        @Override
        public String toString() {
            return absent() ? "absent" : "v" + seed + "(" + size + "B," + policy + (multipart ? ",multipart" : "") + ")";
        }
    }

    static final List<String> PREFIXES = List.of("wb", "wt", "tr", "ro", "flip");

    final Map<String, Set<Version>> keys = new TreeMap<>();
    /** Keys whose current version is written under WRITE_BACK and not yet drained to the UFS. */
    final Set<String> unpersisted = new HashSet<>();
    /** The seeded, never-changing content of the READ_ONLY prefix. */
    final Map<String, Version> readOnly = new TreeMap<>();
    /**
     * Keys whose current version lost a record to corruption before it was persisted: reads fail
     * saying so until the key is overwritten or deleted. The value is the key's UFS ETag when the
     * damage happened (null: not in the UFS), which the UFS must keep.
     */
    final Map<String, String> damaged = new HashMap<>();
    WritePolicy flipPolicy = WritePolicy.WRITE_BACK;
    boolean ufsDown;

    WritePolicy policyOf(String key) {
        return switch (key.substring(0, key.indexOf('/'))) {
            case "wb" -> WritePolicy.WRITE_BACK;
            case "wt" -> WritePolicy.WRITE_THROUGH;
            case "tr" -> WritePolicy.TRANSIENT;
            case "ro" -> WritePolicy.READ_ONLY;
            case "flip" -> flipPolicy;
            default -> throw new IllegalArgumentException(key);
        };
    }

    Set<Version> candidates(String key) {
        if (readOnly.containsKey(key)) {
            return Set.of(readOnly.get(key));
        }
        return keys.getOrDefault(key, Set.of(Version.ABSENT));
    }

    void set(String key, Version v) {
        keys.put(key, new LinkedHashSet<>(List.of(v)));
        damaged.remove(key);
        if (!v.absent() && v.policy() == WritePolicy.WRITE_BACK) {
            unpersisted.add(key);
        } else {
            unpersisted.remove(key);
        }
    }

    void addCandidate(String key, Version v) {
        Set<Version> c = new LinkedHashSet<>(candidates(key));
        c.add(v);
        keys.put(key, c);
    }

    boolean ambiguous() {
        return keys.values().stream().anyMatch(s -> s.size() > 1);
    }

    /**
     * Bytes the worker must hold pinned: current TRANSIENT versions and undrained WRITE_BACK ones.
     * A damaged version holds none: recovery skipped the record that failed its CRC, so it is not
     * live in the log store (the version stays in the Catalog, marked damaged).
     */
    long pinnedBytes() {
        long sum = 0;
        for (Map.Entry<String, Set<Version>> e : keys.entrySet()) {
            Version v = e.getValue().iterator().next();
            if (v.absent() || damaged.containsKey(e.getKey())) {
                continue;
            }
            if (v.policy() == WritePolicy.TRANSIENT || unpersisted.contains(e.getKey())) {
                sum += v.size();
            }
        }
        return sum;
    }

    /** Every key that may exist (for listings), with whether it certainly does. */
    Map<String, Boolean> possibleKeys() {
        Map<String, Boolean> out = new TreeMap<>();
        readOnly.keySet().forEach(k -> out.put(k, true));
        keys.forEach((k, c) -> {
            boolean any = c.stream().anyMatch(v -> !v.absent());
            if (any) {
                out.put(k, c.stream().noneMatch(Version::absent));
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "Model" + keys + (ufsDown ? " ufs=down" : "") + " flip=" + flipPolicy
                + (damaged.isEmpty() ? "" : " damaged=" + damaged.keySet());
    }
}
