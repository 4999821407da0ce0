package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.policy.WritePolicy;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.schema.catalog.PersistTask;
import io.wcache.schema.catalog.TaskKind;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A UFS delete is performed only if the Catalog still says the path is deleted at the task's
 * generation: the persister's in-memory knowledge of newer generations is forgotten when a path's
 * lane goes idle, so it cannot be what keeps a stale delete from removing a newer object.
 */
class StaleDeleteTest {

    @TempDir
    Path dir;
    private UnderFileSystem ufs;
    private PersistRig rig;

    @AfterEach
    void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    private void start() throws Exception {
        Path ufsDir = Files.createDirectories(dir.resolve("ufs"));
        ufs = UnderFileSystem.open(ufsDir.toUri(), Map.of());
        rig = new PersistRig(dir.resolve("worker"), ufs, PersisterConfig.of(PersistRig.WORKER, 2,
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(200))));
    }

    @Test
    void aClaimedDeleteOvertakenByAWriteThroughCommitLeavesTheNewObjectInTheUfs() throws Exception {
        start();
        rig.writeBack("k", new PatternSource(1000, 1), "1", false);
        rig.catalog.files().delete(PersistRig.path("k"));
        // The durable queue's delete is claimed (as the poller does) but not yet handed to its lane...
        List<PersistTask> claimed = rig.catalog.persistQueue().claimTasks(PersistRig.WORKER, Duration.ofMinutes(1), 10);
        assertThat(claimed).singleElement().extracting(PersistTask::kind).isEqualTo(TaskKind.DELETE);

        // ...when a WRITE_THROUGH write of the path uploads and commits a newer generation in the
        // path's order; afterwards the path's lane is idle and forgotten.
        PatternSource v3 = new PatternSource(2000, 3);
        rig.persister.exclusive(PersistRig.path("k"), () -> {
            try {
                ufs.put("k", v3, PutOptions.DEFAULT);
                return rig.write("k", v3, "3", WritePolicy.WRITE_THROUGH, true);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(rig.persister.submit(claimed.get(0))).isTrue();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();

        assertThat(ufs.head("k")).as("the stale delete must not remove the newer object").isPresent();
        try (InputStream in = ufs.get("k", 0, v3.length()); InputStream want = v3.open(0, v3.length())) {
            assertThat(in.readAllBytes()).isEqualTo(want.readAllBytes());
        }
        assertThat(rig.persister.stats().deleted()).isZero();
    }

    @Test
    void aCurrentDeleteStillDeletesTheUfsObject() throws Exception {
        start();
        rig.writeBack("gone", new PatternSource(1000, 1), "1", true);
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
        assertThat(ufs.head("gone")).isPresent();
        rig.delete("gone");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
        assertThat(ufs.head("gone")).isEmpty();
        assertThat(rig.catalog.files().tombstone(PersistRig.path("gone"))).isEmpty();
    }
}
