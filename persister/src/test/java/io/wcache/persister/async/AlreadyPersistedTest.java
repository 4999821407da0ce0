package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.PersistTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version the Catalog already records as {@code PERSISTED} is not uploaded again by a late copy
 * of its task (a retry that was already scheduled, a copy claimed or handed over in a cluster):
 * the object store's object would be replaced for nothing, and a cluster-wide "uploaded once"
 * would not hold.
 */
class AlreadyPersistedTest {

    @TempDir
    Path dir;
    private PersistRig rig;

    @AfterEach
    void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void aLateCopyOfThePersistedVersionsTaskUploadsNothing() throws Exception {
        Path ufsDir = Files.createDirectories(dir.resolve("ufs"));
        UnderFileSystem ufs = UnderFileSystem.open(ufsDir.toUri(), Map.of());
        rig = new PersistRig(dir.resolve("worker"), ufs, PersisterConfig.of(PersistRig.WORKER, 2,
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(200))));
        rig.writeBack("k", new PatternSource(5000, 7), "1", false);
        List<PersistTask> queued = rig.catalog.persistQueue().dueTasks(Instant.now().plusSeconds(3600), 10);
        assertThat(queued).hasSize(1);
        PersistTask copy = queued.get(0);

        assertThat(rig.persister.submit(copy)).isTrue();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
        assertThat(rig.catalog.files().lookup(PersistRig.path("k")).orElseThrow().persistState())
                .isEqualTo(PersistState.PERSISTED);
        Path object = ufsDir.resolve("k");
        Object inode = Files.getAttribute(object, "unix:ino");
        long persistedBefore = rig.persister.stats().persisted();

        // The lane went idle and forgot the generation: only the Catalog can say the copy is late.
        assertThat(rig.persister.submit(copy)).isTrue();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();

        assertThat(Files.getAttribute(object, "unix:ino")).as("the object was not written again").isEqualTo(inode);
        assertThat(rig.persister.stats().persisted()).isEqualTo(persistedBefore);
    }
}
