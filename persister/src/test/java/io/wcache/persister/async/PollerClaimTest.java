package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.await;
import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The poller claims from the durable queue only the work this persister does not know. Claiming
 * a task it is uploading already was work in vain, and under load the claim conflicted with that
 * upload's mark until its retries ran out ("persist_poll_failed ... not_committed").
 */
class PollerClaimTest {

    @TempDir
    Path dir;

    @Test
    void aPollClaimsTheTaskItDoesNotKnowAndLeavesTheOneItIsUploading() throws Exception {
        withRig(Duration.ofMillis(50), PollerClaimTest::pollWhileAnUploadIsHeld);
    }

    /**
     * A poll's claim reads the queue at a version from before an upload's mark and looks at the
     * lanes after the lane was dropped: the finished task must not look unknown to it (it was
     * claimed, and the claim conflicted with the mark: "persist_poll_failed ... not_committed").
     */
    @Test
    void aTaskThisPersisterJustFinishedIsNotClaimedFromAnOlderReadOfTheQueue() throws Exception {
        withRig(Duration.ofHours(1), (ufs, rig) -> {
            CountDownLatch release = new CountDownLatch(1);
            ufs.beforePut(k -> await(release));
            rig.persister.start();
            rig.writeBack("done", new PatternSource(2000, 3), "1");
            // The task as a read of the queue taken before the upload's mark sees it.
            waitUntil(() -> !rig.catalog.persistQueue().pendingTasks(10).isEmpty(), () -> "no task queued");
            PersistTask before = rig.catalog.persistQueue().pendingTasks(10).get(0);
            assertThat(rig.persister.wouldClaim(before)).as("its upload runs in a lane").isFalse();
            release.countDown();
            waitUntil(() -> rig.catalog.persistQueue().pendingTasks(10).isEmpty(), () -> "still pending");
            assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
            assertThat(ufs.ops("done")).hasSize(1);
            assertThat(rig.persister.wouldClaim(before)).as("finished and marked, its lane dropped").isFalse();
            PersistTask newer = new PersistTask(before.path(), before.kind(), before.fileId() + 1, before.generation() + 1,
                    before.size(), 0, before.nextAttemptTime(), Optional.empty(), Optional.empty(), Optional.empty(),
                    before.enqueuedTime());
            assertThat(rig.persister.wouldClaim(newer)).as("a newer generation nobody handed over").isTrue();
        });
    }

    private interface RigBody {
        void run(FaultyUfs ufs, PersistRig rig) throws Exception;
    }

    /** A persister over an embedded S3 UFS it reaches through {@link FaultyUfs}, polling every {@code pollInterval}. */
    private void withRig(Duration pollInterval, RigBody body) throws Exception {
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 2, new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                    .withPollInterval(pollInterval);
            try (PersistRig rig = new PersistRig(dir.resolve("worker"), ufs, config)) {
                body.run(ufs, rig);
            }
        }
    }

    private static void pollWhileAnUploadIsHeld(FaultyUfs ufs, PersistRig rig) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch slowStarted = new CountDownLatch(1);
        ufs.beforePut(k -> {
            if (k.endsWith("slow")) {
                slowStarted.countDown();
                await(release);
            }
        });
        rig.persister.start();
        try {
            // Uploading through the fast path, held inside the UFS put.
            rig.writeBack("slow", new PatternSource(2000, 1), "1");
            assertThat(slowStarted.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // Committed without the hand-off (as if the event were dropped): only the poller can find it.
            rig.writeBack("lost", new PatternSource(3000, 2), "1", false);

            waitUntil(() -> ufs.ops("lost").size() == 1, () -> "ops: " + ufs.ops());
            Optional<PersistTask> slow = rig.catalog.persistQueue().pendingTasks(10).stream()
                    .filter(t -> t.path().equals(PersistRig.path("slow"))).findFirst();
            assertThat(slow).as("the upload still held in the UFS is queued").isPresent();
            // Leased by the upload running here (a hand-off claims its task as it starts), and not
            // something the poller would take as unknown work.
            assertThat(slow.get().leaseOwner()).contains(PersistRig.WORKER);
            assertThat(rig.persister.wouldClaim(slow.get())).as("claimable although its own upload runs").isFalse();
        } finally {
            release.countDown();
        }
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
        assertThat(ufs.ops("slow")).hasSize(1);
        assertThat(rig.catalog.persistQueue().pendingTasks(10)).isEmpty();
    }
}
