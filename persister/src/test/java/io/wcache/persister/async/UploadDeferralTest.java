package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads wait for a pause in writes ({@link PersisterConfig.Deferral}): while writes keep arriving
 * (a count the test moves, standing in for the worker's write pipeline) a burst's uploads wait, and
 * start once writes pause, once the longest wait has passed, or at once past the byte bound. Real
 * parts: the embedded engine, the log store and s3proxy.
 */
class UploadDeferralTest {

    @TempDir
    Path dir;
    private EmbeddedS3Server s3;
    private FaultyUfs ufs;
    private PersistRig rig;
    private final AtomicLong writes = new AtomicLong();
    private volatile boolean writing;
    private Thread writer;

    private void start(PersisterConfig.Deferral deferral) throws Exception {
        s3 = S3Rig.server(dir.resolve("s3"));
        ufs = new FaultyUfs(S3Rig.ufs(s3));
        rig = new PersistRig(dir.resolve("worker"), ufs,
                PersisterConfig.of(PersistRig.WORKER, 4, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)))
                        .withDeferral(deferral));
        rig.persister.watchWrites(writes::get);
        rig.persister.start();
    }

    /** Writes keep arriving: the activity count moves every 10 ms until {@link #pause()}. */
    private void keepWriting() {
        writing = true;
        writer = new Thread(() -> {
            while (writing) {
                writes.incrementAndGet();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-writes");
        writer.setDaemon(true);
        writer.start();
    }

    private void pause() throws InterruptedException {
        writing = false;
        if (writer != null) {
            writer.join(5_000);
        }
    }

    @AfterEach
    void stop() throws Exception {
        pause();
        if (rig != null) {
            rig.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private List<PendingPersist.State> states() {
        return rig.persister.pending(100).stream().map(PendingPersist::state).toList();
    }

    @Test
    void aBurstsUploadsWaitWhileWritesArriveAndStartWhenTheyPause() throws Exception {
        burstWaitsForAPause(false);
    }

    /**
     * An upload its commit leased to this persister waits too (the lease has minutes left when the
     * wait ends). It did not: every leased task started at once, as one the poller claimed does, and
     * the uploads of a burst competed with its writes for the cores.
     */
    @Test
    void uploadsTheirCommitsLeasedAlsoWaitForAPause() throws Exception {
        burstWaitsForAPause(true);
        assertThat(rig.persister.claimCounts().tasks()).as("tasks claimed before their upload").isZero();
    }

    private void burstWaitsForAPause(boolean commitLeases) throws Exception {
        start(new PersisterConfig.Deferral(Duration.ofSeconds(60), Duration.ofMillis(300), 1L << 30));
        rig.leaseUploadsAtCommit(commitLeases);
        keepWriting();
        for (int i = 0; i < 5; i++) {
            rig.writeBack("burst/" + i, new PatternSource(10 << 10, i), "1");
        }
        Thread.sleep(1_000);
        assertThat(ufs.putsStarted()).as("uploads started while writes kept arriving").isZero();
        assertThat(states()).hasSize(5).containsOnly(PendingPersist.State.DEFERRED);
        assertThat(rig.persister.stats().pending()).isEqualTo(5);

        long paused = System.nanoTime();
        pause();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - paused)).isLessThan(Duration.ofSeconds(10));
        for (int i = 0; i < 5; i++) {
            assertThat(ufs.head("burst/" + i)).as("burst/" + i).isPresent();
            assertThat(rig.catalog.files().lookup(PersistRig.path("burst/" + i)).orElseThrow().persistState())
                    .isEqualTo(PersistState.PERSISTED);
        }
    }

    @Test
    void anUploadWaitsNoLongerThanTheLongestWaitWhileWritesNeverPause() throws Exception {
        start(new PersisterConfig.Deferral(Duration.ofMillis(700), Duration.ofMillis(300), 1L << 30));
        keepWriting();
        long t0 = System.nanoTime();
        rig.writeBack("steady/a", new PatternSource(10 << 10, 1), "1");
        Thread.sleep(300);
        assertThat(ufs.putsStarted()).as("still within the longest wait").isZero();
        // Writes never pause: the longest wait ends the deferral, with the writes still arriving.
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(15))).isTrue();
        assertThat(writing).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
        assertThat(ufs.head("steady/a")).isPresent();
    }

    @Test
    void anOverwrittenPathKeepsItsFirstWaitAndUploadsOnlyItsNewestVersion() throws Exception {
        start(new PersisterConfig.Deferral(Duration.ofSeconds(2), Duration.ofMillis(300), 1L << 30));
        keepWriting();
        long t0 = System.nanoTime();
        // Overwritten every 50 ms for longer than the longest wait: each new version must not restart
        // the wait, or a path rewritten without pause would never be uploaded.
        int version = 0;
        while (ufs.putsStarted() == 0 && System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos()) {
            rig.writeBack("hot", new PatternSource(10 << 10, version), Integer.toString(++version));
            Thread.sleep(50);
        }
        long waited = System.nanoTime() - t0;
        assertThat(ufs.putsStarted()).as("an upload of the rewritten path started").isPositive();
        assertThat(Duration.ofNanos(waited)).isBetween(Duration.ofMillis(1_900), Duration.ofSeconds(6));
        pause();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        // The versions written during the wait were superseded, not uploaded one by one.
        assertThat(version).isGreaterThan(20);
        assertThat(ufs.ops("hot").size()).isLessThanOrEqualTo(3);
        assertThat(ufs.ops("hot").get(ufs.ops("hot").size() - 1).version()).isEqualTo(Integer.toString(version));
    }

    @Test
    void pastTheByteBoundUploadsStartAtOnce() throws Exception {
        start(new PersisterConfig.Deferral(Duration.ofSeconds(60), Duration.ofMillis(300), (3L << 20) / 2));
        keepWriting();
        rig.writeBack("big/1", new PatternSource(1 << 20, 1), "1");
        rig.writeBack("big/2", new PatternSource(1 << 20, 2), "1");
        rig.writeBack("big/3", new PatternSource(1 << 20, 3), "1");
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while ((ufs.head("big/2").isEmpty() || ufs.head("big/3").isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // The first fits under the bound and waits; the others would pass it and start at once.
        assertThat(ufs.head("big/2")).isPresent();
        assertThat(ufs.head("big/3")).isPresent();
        assertThat(ufs.head("big/1")).isEmpty();
        assertThat(states()).containsExactly(PendingPersist.State.DEFERRED);
        pause();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.head("big/1")).isPresent();
    }

    @Test
    void halfThePinnedSpaceTakenStartsTheWaitingUploadsAndStopsNewOnesWaiting() throws Exception {
        start(new PersisterConfig.Deferral(Duration.ofSeconds(60), Duration.ofMillis(300), 1L << 30));
        AtomicLong pinned = new AtomicLong();
        rig.persister.watchPinned(pinned::get, 100L << 20);
        keepWriting();
        rig.writeBack("pressure/1", new PatternSource(10 << 10, 1), "1");
        Thread.sleep(500);
        assertThat(states()).containsExactly(PendingPersist.State.DEFERRED);
        // Writes keep arriving, but half the pinned space is now taken: waiting would hold space
        // the writes may need, so the waiting upload starts, and a new one does not wait.
        pinned.set(50L << 20);
        rig.writeBack("pressure/2", new PatternSource(10 << 10, 2), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(15))).isTrue();
        assertThat(writing).isTrue();
        assertThat(ufs.head("pressure/1")).isPresent();
        assertThat(ufs.head("pressure/2")).isPresent();
    }

    @Test
    void withoutDeferralAnUploadStartsWhileWritesArrive() throws Exception {
        start(PersisterConfig.Deferral.NONE);
        keepWriting();
        rig.writeBack("now", new PatternSource(10 << 10, 1), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(15))).isTrue();
        assertThat(writing).isTrue();
        assertThat(ufs.head("now")).isPresent();
    }
}
