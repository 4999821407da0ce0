package io.wcache.core.policy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.Objects;

/**
 * One path-config rule: writes under {@code prefix} (by whole segments) use {@code policy}
 * and keep {@code writeReplicas} copies of unpersisted data.
 */
public record PathRule(NamespacePath prefix, WritePolicy policy, int writeReplicas) {

    /** Upper bound on replicas: more copies than this is a configuration mistake, not a need. */
    public static final int MAX_WRITE_REPLICAS = 8;

    public PathRule {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(policy, "policy");
        checkReplicas(prefix.toString(), writeReplicas);
    }

    static void checkReplicas(String subject, int writeReplicas) {
        if (writeReplicas < 1 || writeReplicas > MAX_WRITE_REPLICAS) {
            throw new WcacheException.InvalidArgument(subject,
                    "writeReplicas " + writeReplicas + " is out of range 1.." + MAX_WRITE_REPLICAS);
        }
    }

    @Override
    public String toString() {
        return prefix + " -> " + policy + " (writeReplicas " + writeReplicas + ")";
    }
}
