package io.wcache.core.policy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The per-prefix write policies plus a global default. Resolution picks the longest rule
 * whose prefix contains the path by whole segments ({@code /s3/a} governs {@code /s3/a/x},
 * never {@code /s3/ab}); with no matching rule the global default applies. When the write
 * cache is disabled ({@code write.cache.enabled=false}) every caching policy resolves to
 * {@link WritePolicy#WRITE_THROUGH}; {@code READ_ONLY} and {@code NO_CACHE} are kept, since
 * they cache no writes anyway. Instances are immutable; {@code with}/{@code without} return
 * new ones.
 */
public final class PathConfig {

    private final WritePolicy defaultPolicy;
    private final int defaultWriteReplicas;
    private final boolean writeCacheEnabled;
    private final Map<NamespacePath, PathRule> rules;

    private PathConfig(WritePolicy defaultPolicy, int defaultWriteReplicas, boolean writeCacheEnabled,
                       Map<NamespacePath, PathRule> rules) {
        this.defaultPolicy = Objects.requireNonNull(defaultPolicy, "defaultPolicy");
        PathRule.checkReplicas("default", defaultWriteReplicas);
        this.defaultWriteReplicas = defaultWriteReplicas;
        this.writeCacheEnabled = writeCacheEnabled;
        this.rules = Collections.unmodifiableMap(rules);
    }

    /**
     * Builds a config; two rules for one prefix are an error rather than "last one wins".
     *
     * @throws WcacheException.InvalidArgument on duplicate prefixes or bad replica counts
     */
    public static PathConfig of(WritePolicy defaultPolicy, int defaultWriteReplicas, boolean writeCacheEnabled,
                                Collection<PathRule> rules) {
        Map<NamespacePath, PathRule> byPrefix = new TreeMap<>();
        for (PathRule rule : rules) {
            if (byPrefix.putIfAbsent(rule.prefix(), rule) != null) {
                throw new WcacheException.InvalidArgument(rule.prefix().toString(),
                        "two path rules for prefix " + rule.prefix());
            }
        }
        return new PathConfig(defaultPolicy, defaultWriteReplicas, writeCacheEnabled, byPrefix);
    }

    /** The design's global default: {@code WRITE_THROUGH}, one replica, write cache on, no rules. */
    public static PathConfig defaults() {
        return of(WritePolicy.WRITE_THROUGH, 1, true, List.of());
    }

    public WritePolicy defaultPolicy() {
        return defaultPolicy;
    }

    public int defaultWriteReplicas() {
        return defaultWriteReplicas;
    }

    public boolean writeCacheEnabled() {
        return writeCacheEnabled;
    }

    /** The rules in path order. */
    public List<PathRule> rules() {
        return List.copyOf(rules.values());
    }

    public Optional<PathRule> rule(NamespacePath prefix) {
        return Optional.ofNullable(rules.get(prefix));
    }

    /** A copy with {@code rule} added, replacing any rule for the same prefix. */
    public PathConfig with(PathRule rule) {
        Map<NamespacePath, PathRule> copy = new TreeMap<>(rules);
        copy.put(rule.prefix(), rule);
        return new PathConfig(defaultPolicy, defaultWriteReplicas, writeCacheEnabled, copy);
    }

    /** A copy without the rule for {@code prefix} (unchanged if there is none). */
    public PathConfig without(NamespacePath prefix) {
        Map<NamespacePath, PathRule> copy = new TreeMap<>(rules);
        copy.remove(prefix);
        return new PathConfig(defaultPolicy, defaultWriteReplicas, writeCacheEnabled, copy);
    }

    public PathConfig withDefault(WritePolicy policy, int writeReplicas) {
        return new PathConfig(policy, writeReplicas, writeCacheEnabled, new TreeMap<>(rules));
    }

    public PathConfig withWriteCacheEnabled(boolean enabled) {
        return new PathConfig(defaultPolicy, defaultWriteReplicas, enabled, new TreeMap<>(rules));
    }

    /** Resolves the policy for a write starting now at {@code path}, with an explanation. */
    public Resolution resolve(NamespacePath path) {
        List<PathRule> matching = new ArrayList<>();
        // Walk the ancestors from the path itself up: at most depth+1 map look-ups.
        Optional<NamespacePath> cursor = Optional.of(path);
        while (cursor.isPresent()) {
            PathRule r = rules.get(cursor.get());
            if (r != null) {
                matching.add(r);
            }
            cursor = cursor.get().parent();
        }
        WritePolicy policy;
        int replicas;
        StringBuilder why = new StringBuilder();
        Optional<PathRule> matched = matching.isEmpty() ? Optional.empty() : Optional.of(matching.get(0));
        if (matched.isPresent()) {
            policy = matched.get().policy();
            replicas = matched.get().writeReplicas();
            why.append("rule ").append(matched.get().prefix()).append(" matched");
            if (matching.size() > 1) {
                why.append(" (longest of ").append(matching.size()).append(" matching prefixes:");
                for (int i = matching.size() - 1; i >= 0; i--) {
                    why.append(' ').append(matching.get(i).prefix());
                }
                why.append(')');
            }
        } else {
            policy = defaultPolicy;
            replicas = defaultWriteReplicas;
            why.append("no rule matched; global default (path.default.policy)");
        }
        if (!writeCacheEnabled && policy.cachesWrites() && policy != WritePolicy.WRITE_THROUGH) {
            why.append("; ").append(policy).append(" overridden to WRITE_THROUGH because write.cache.enabled=false");
            policy = WritePolicy.WRITE_THROUGH;
        }
        String explanation = path + " -> " + policy + " (writeReplicas " + replicas + "): " + why;
        return new Resolution(path, policy, replicas, matched, explanation);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathConfig c && c.defaultPolicy == defaultPolicy
                && c.defaultWriteReplicas == defaultWriteReplicas && c.writeCacheEnabled == writeCacheEnabled
                && c.rules.equals(rules);
    }

    @Override
    public int hashCode() {
        return Objects.hash(defaultPolicy, defaultWriteReplicas, writeCacheEnabled, rules);
    }

    @Override
    public String toString() {
        return "PathConfig{default=" + defaultPolicy + "/" + defaultWriteReplicas
                + ", writeCacheEnabled=" + writeCacheEnabled + ", rules=" + rules.values() + "}";
    }
}
