package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.CommitResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit leases the upload it queues to its worker's persister, which then starts it without a
 * claim transaction of its own; the poller still finds such a task when the hand-off never came
 * (a restart, more paths than the persister tracks), without waiting for the lease to end.
 */
class CommitLeaseTest {

    @TempDir
    Path dir;

    @Test
    void anUploadItsCommitLeasedRunsWithoutAClaimTransaction() throws Exception {
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            try (PersistRig rig = new PersistRig(dir.resolve("w"), ufs, config(Duration.ofHours(1)))) {
                rig.persister.start();
                rig.leaseUploadsAtCommit(true);
                for (int i = 0; i < 5; i++) {
                    CommitResult c = rig.writeBackCommit("leased/" + i, new PatternSource(3000 + i, i), "1", true);
                    assertThat(c.uploadLeasedUntil()).as("the commit's lease").isPresent();
                }
                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
                assertThat(rig.persister.claimCounts().tasks()).as("tasks claimed before their upload").isZero();

                rig.leaseUploadsAtCommit(false);
                CommitResult c = rig.writeBackCommit("claimed", new PatternSource(4000, 9), "1", true);
                assertThat(c.uploadLeasedUntil()).isEmpty();
                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
                assertThat(rig.persister.claimCounts().tasks()).as("an upload its commit did not lease").isEqualTo(1);
                for (int i = 0; i < 5; i++) {
                    assertThat(ufs.ops("leased/" + i)).as("leased/" + i).hasSize(1);
                }
                assertThat(rig.catalog.persistQueue().pendingTasks(10)).isEmpty();
            }
        }
    }

    @Test
    void aTaskItsCommitLeasedIsClaimedByThePollWhenTheHandOffNeverCame() throws Exception {
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            try (PersistRig rig = new PersistRig(dir.resolve("w"), ufs, config(Duration.ofMillis(50)))) {
                rig.leaseUploadsAtCommit(true);
                rig.persister.start();
                CommitResult c = rig.writeBackCommit("dropped", new PatternSource(2000, 1), "1", false);
                assertThat(c.uploadLeasedUntil()).isPresent();
                // The lease runs for an hour: only a poll that claims its own persister's lease uploads it now.
                waitUntil(() -> ufs.ops("dropped").size() == 1, () -> "not uploaded: " + rig.persister.stats());
                waitUntil(() -> rig.catalog.persistQueue().pendingTasks(10).isEmpty(), () -> "still queued");
            }
        }
    }

    @Test
    void aRestartedPersisterUploadsEveryTaskItsCommitsLeasedBeyondThePathsItTracks() throws Exception {
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            FaultyUfs before = new FaultyUfs(S3Rig.ufs(s3));
            PersisterConfig config = config(Duration.ofMillis(50)).withMaxTrackedPaths(2);
            try (PersistRig rig = new PersistRig(dir.resolve("w"), before, config)) {
                rig.leaseUploadsAtCommit(true);
                for (int i = 0; i < 6; i++) {
                    rig.writeBackCommit("before-restart/" + i, new PatternSource(1000 + i, i), "1", false);
                }
            }
            assertThat(before.ops()).as("nothing uploaded before the restart").isEmpty();
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            try (PersistRig rig = new PersistRig(dir.resolve("w"), ufs, config)) {
                rig.persister.start();
                waitUntil(() -> rig.catalog.persistQueue().pendingTasks(10).isEmpty(),
                        () -> "still queued: " + rig.catalog.persistQueue().pendingTasks(10));
                for (int i = 0; i < 6; i++) {
                    assertThat(ufs.ops("before-restart/" + i)).as("before-restart/" + i).hasSize(1);
                }
            }
        }
    }

    /** Two upload threads, a lease of an hour (nothing here may wait one out), polls every {@code poll}. */
    private static PersisterConfig config(Duration poll) {
        return PersisterConfig.of(PersistRig.WORKER, 2, new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .withPollInterval(poll).withLease(Duration.ofHours(1));
    }
}
