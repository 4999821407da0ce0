package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistState;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload thread hands its finished upload's mark over and starts its next upload: it does not
 * wait for the transaction (or the linger before it) that records the mark. Before, every upload
 * thread waited for its own mark, so with 16 threads the uploads of a backlog ran in convoys, one
 * linger and one transaction apart, and the machine sat partly idle while they drained.
 */
class MarkHandOverTest {

    @TempDir
    Path dir;

    @Test
    void uploadsGoOnWhileTheFirstUploadsMarkWaitsForCompany() throws Exception {
        // Two upload threads, and a mark waits up to a second for company before its transaction.
        PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 2,
                        new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .withPollInterval(Duration.ofHours(1)).withLease(Duration.ofHours(1))
                .withMarkLinger(Duration.ofSeconds(1));
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            try (PersistRig rig = new PersistRig(dir.resolve("w"), ufs, config)) {
                rig.persister.start();
                rig.leaseUploadsAtCommit(true);
                for (int i = 0; i < 3; i++) {
                    rig.writeBackCommit("handed/" + i, new PatternSource(2000 + i, i), "1", true);
                }
                // The first upload's thread leads its mark and lingers; the other thread uploads the
                // second object and, its mark handed over, the third. Waiting for its own mark, it
                // could not start the third before the first transaction ran.
                waitUntil(() -> ufs.ops().size() == 3, () -> "uploaded: " + ufs.ops());
                assertThat(rig.persister.markCounts().transactions())
                        .as("marking transactions run when the third object reached the store").isZero();

                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
                for (int i = 0; i < 3; i++) {
                    assertThat(rig.catalog.files().lookup(PersistRig.path("handed/" + i)).orElseThrow().persistState())
                            .as("handed/" + i).isEqualTo(PersistState.PERSISTED);
                }
                assertThat(rig.persister.markCounts().transactions()).as("the three marks share one transaction")
                        .isEqualTo(1);
                assertThat(rig.catalog.persistQueue().pendingTasks(10)).isEmpty();
            }
        }
    }
}
