package io.wcache.worker.ufs;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class UfsRegistryTest {

    @Test
    void theMountTableIsReadOnceUntilRefreshed() {
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<MountTable> current = new AtomicReference<>(
                MountTable.of(List.of(Mount.of("/a", "file:///tmp/a", Map.of()))));
        try (UfsRegistry r = new UfsRegistry(() -> {
            reads.incrementAndGet();
            return current.get();
        })) {
            for (int i = 0; i < 100; i++) {
                assertThat(r.mounts().find("a")).isPresent();
            }
            assertThat(reads).as("one Catalog read serves every request within the TTL").hasValue(1);

            current.set(current.get().with(Mount.of("/b", "file:///tmp/b", Map.of())));
            r.refreshMounts();
            assertThat(r.mounts().find("b")).as("a mount this worker added is seen at once").isPresent();
            assertThat(reads).hasValue(2);
        }
    }
}
