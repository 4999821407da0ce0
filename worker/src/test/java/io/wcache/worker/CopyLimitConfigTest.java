package io.wcache.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code write.cache.sync.copy.max} above what one Catalog value holds is refused with a message
 * naming the key and what to set, before the worker opens its metadata engine or cache.
 */
class CopyLimitConfigTest {

    @TempDir
    Path root;

    @Test
    void aCopyLimitAboveOneCatalogValueIsRefusedBeforeAnythingOpens() {
        assertThatThrownBy(() -> Worker.start(TestWorkers.config(root, "write.cache.sync.copy.max=1MiB"),
                WorkerOptions.defaults().withPersister(false), List.of()))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("write.cache.sync.copy.max is at most 90000 bytes")
                .hasMessageContaining("not 1048576");
        assertThat(Files.exists(root.resolve("meta"))).isFalse();
    }

    @Test
    void theLargestCopyLimitStarts() {
        try (Worker w = Worker.start(TestWorkers.config(root, "write.cache.sync.copy.max=90000"),
                WorkerOptions.defaults().withPersister(false), List.of())) {
            assertThat(w.pipeline().config().copyMaxBytes()).isEqualTo(90_000);
        }
    }
}
