package io.wcache.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigurationReferenceTest {

    @Test
    void docsTableIsTheOneGeneratedFromTheDeclarations() throws Exception {
        Path doc = Path.of("..", "docs", "CONFIGURATION.md");
        String text = Files.readString(doc);
        if (!text.contains(ConfigKeys.markdownTable())) {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "CONFIGURATION.table.md"), ConfigKeys.markdownTable());
        }
        assertThat(text)
                .as("docs/CONFIGURATION.md must contain the table printed by ConfigKeys.main; regenerate it")
                .contains(ConfigKeys.markdownTable());
    }

    @Test
    void everyDeclaredDefaultParses() {
        WcacheConfig defaults = WcacheConfig.defaults();
        Set<String> names = new HashSet<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            assertThat(names.add(key.name())).isTrue();
            assertThat(defaults.source(key)).isEqualTo("default");
            assertThat(key.doc()).isNotBlank();
        }
        assertThat(defaults.effectiveValues()).hasSize(ConfigKeys.ALL.size());
    }
}
