package io.wcache.core.policy;

import io.wcache.core.path.NamespacePath;
import java.util.Optional;

/**
 * The outcome of resolving a path against a {@link PathConfig}: the effective policy and
 * replica count, the rule that decided it (empty when the global default applied) and a
 * one-line explanation for operators ({@code wcadm pathconfig resolve}).
 */
public record Resolution(NamespacePath path, WritePolicy policy, int writeReplicas,
                         Optional<PathRule> matchedRule, String explanation) {

    /** Whether the global default, not a rule, decided the policy. */
    public boolean usedDefault() {
        return matchedRule.isEmpty();
    }
}
