package io.wcache.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PathConfigDocumentTest {

    @Test
    void documentRoundTripsAndOverridesTheDefault() {
        PathConfig config = PathConfigDocument.parse("""
                default: {policy: write-back, writeReplicas: 2}
                rules:
                  - {prefix: /s3/logs, policy: TRANSIENT, writeReplicas: 3}
                  - {prefix: /s3, policy: READ_ONLY}
                """, PathConfig.defaults());
        assertThat(config.defaultPolicy()).isEqualTo(WritePolicy.WRITE_BACK);
        assertThat(config.defaultWriteReplicas()).isEqualTo(2);
        assertThat(config.rules()).containsExactly(
                new PathRule(NamespacePath.of("/s3"), WritePolicy.READ_ONLY, 1),
                new PathRule(NamespacePath.of("/s3/logs"), WritePolicy.TRANSIENT, 3));
        assertThat(PathConfigDocument.parse(PathConfigDocument.format(config), PathConfig.defaults())).isEqualTo(config);
        assertThat(PathConfigDocument.parse("", PathConfig.defaults())).isEqualTo(PathConfig.defaults());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rules: [{prefix: /s3/, policy: WRITE_BACK}]|rules[0].prefix",
            "rules: [{prefix: /s3, policy: FAST}]|rules[0].policy",
            "rules: [{prefix: /s3, policy: WRITE_BACK, writeReplicas: 0}]|rules[0].writeReplicas",
            "rules: [{prefix: /s3, policy: WRITE_BACK, color: red}]|rules[0].color",
            "rules: [{policy: WRITE_BACK}]|rules[0].prefix",
            "default: {policy: NOPE}|default.policy",
            "defaults: {}|defaults",
            "rules: {prefix: /s3}|rules",
    })
    void malformedDocumentNamesTheField(String yaml, String field) {
        assertThatThrownBy(() -> PathConfigDocument.parse(yaml, PathConfig.defaults()))
                .isInstanceOfSatisfying(WcacheException.InvalidArgument.class, e -> assertThat(e.subject()).isEqualTo(field));
    }

    @Test
    void duplicatePrefixIsRefused() {
        assertThatThrownBy(() -> PathConfigDocument.parse(
                "rules: [{prefix: /s3, policy: WRITE_BACK}, {prefix: /s3, policy: TRANSIENT}]", PathConfig.defaults()))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("/s3");
    }

    @Test
    void namespacePathIsAJsonString() throws Exception {
        ObjectMapper json = new ObjectMapper();
        assertThat(json.writeValueAsString(List.of(NamespacePath.of("/s3/a")))).isEqualTo("[\"/s3/a\"]");
        assertThat(json.readValue("\"/s3/b\"", NamespacePath.class)).isEqualTo(NamespacePath.of("/s3/b"));
        assertThatThrownBy(() -> json.readValue("\"/s3/../b\"", NamespacePath.class))
                .hasRootCauseInstanceOf(WcacheException.InvalidPath.class);
    }
}
