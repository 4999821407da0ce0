package io.wcache.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathConfigTest {

    private static NamespacePath p(String s) {
        return NamespacePath.of(s);
    }

    private final PathConfig config = PathConfig.of(WritePolicy.WRITE_THROUGH, 1, true, List.of(
            new PathRule(p("/s3"), WritePolicy.WRITE_BACK, 1),
            new PathRule(p("/s3/tmp"), WritePolicy.TRANSIENT, 2),
            new PathRule(p("/s3/a"), WritePolicy.READ_ONLY, 1)));

    @Test
    void longestMatchingPrefixWinsAndIsExplained() {
        Resolution r = config.resolve(p("/s3/tmp/x/y"));
        assertThat(r.policy()).isEqualTo(WritePolicy.TRANSIENT);
        assertThat(r.writeReplicas()).isEqualTo(2);
        assertThat(r.matchedRule()).contains(new PathRule(p("/s3/tmp"), WritePolicy.TRANSIENT, 2));
        assertThat(r.explanation()).isEqualTo(
                "/s3/tmp/x/y -> TRANSIENT (writeReplicas 2): rule /s3/tmp matched (longest of 2 matching prefixes: /s3 /s3/tmp)");
    }

    @Test
    void prefixMatchesWholeSegmentsOnly() {
        assertThat(config.resolve(p("/s3/ab")).matchedRule().orElseThrow().prefix()).isEqualTo(p("/s3"));
        assertThat(config.resolve(p("/s3/a")).policy()).isEqualTo(WritePolicy.READ_ONLY);
        assertThat(config.resolve(p("/s3/a/deep/er")).policy()).isEqualTo(WritePolicy.READ_ONLY);
    }

    @Test
    void globalDefaultAppliesWhenNoRuleMatches() {
        Resolution r = config.resolve(p("/other/x"));
        assertThat(r.usedDefault()).isTrue();
        assertThat(r.policy()).isEqualTo(WritePolicy.WRITE_THROUGH);
        assertThat(r.explanation()).contains("no rule matched; global default");
    }

    @Test
    void disabledWriteCacheTurnsCachingPoliciesIntoWriteThrough() {
        PathConfig off = config.withWriteCacheEnabled(false);
        assertThat(off.resolve(p("/s3/x")).policy()).isEqualTo(WritePolicy.WRITE_THROUGH);
        assertThat(off.resolve(p("/s3/tmp/x")).policy()).isEqualTo(WritePolicy.WRITE_THROUGH);
        assertThat(off.resolve(p("/s3/tmp/x")).explanation()).contains("write.cache.enabled=false");
        assertThat(off.resolve(p("/s3/a/x")).policy()).isEqualTo(WritePolicy.READ_ONLY);
    }

    @Test
    void withAndWithoutReturnNewConfigs() {
        PathConfig changed = config.with(new PathRule(p("/s3/tmp"), WritePolicy.NO_CACHE, 1)).without(p("/s3"));
        assertThat(changed.resolve(p("/s3/tmp/x")).policy()).isEqualTo(WritePolicy.NO_CACHE);
        assertThat(changed.resolve(p("/s3/x")).usedDefault()).isTrue();
        assertThat(config.resolve(p("/s3/tmp/x")).policy()).isEqualTo(WritePolicy.TRANSIENT);
    }

    @Test
    void duplicatePrefixesAndBadReplicasAreInvalidArguments() {
        assertThatThrownBy(() -> PathConfig.of(WritePolicy.WRITE_BACK, 1, true, List.of(
                new PathRule(p("/s3"), WritePolicy.WRITE_BACK, 1), new PathRule(p("/s3"), WritePolicy.TRANSIENT, 1))))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("/s3");
        assertThatThrownBy(() -> new PathRule(p("/s3"), WritePolicy.WRITE_BACK, 0))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("writeReplicas 0");
    }

    @Test
    void policyNamesParseLeniently() {
        assertThat(WritePolicy.parse("k", "write-back")).isEqualTo(WritePolicy.WRITE_BACK);
        assertThat(WritePolicy.parse("k", " transient ")).isEqualTo(WritePolicy.TRANSIENT);
        assertThatThrownBy(() -> WritePolicy.parse("k", "WRITE_AROUND"))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("WRITE_AROUND");
    }
}
