package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistTask;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 server goes away during a write storm: writes are still acknowledged, even while uploads hang,
 * failed uploads back off (attempts, next attempt and last error in the Catalog), and once the
 * server is back every object is persisted.
 */
class UfsOutageTest {

    private static final int OBJECTS = 120;

    @TempDir
    Path dir;

    @Test
    void writesStayAcknowledgedDuringAnOutageAndEverythingPersistsOnceTheUfsIsBack() throws Exception {
        EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"));
        FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(800));
        try (PersistRig rig = new PersistRig(dir.resolve("worker"), ufs, PersisterConfig.of(PersistRig.WORKER, 4, backoff))) {
            rig.persister.start();
            for (int i = 0; i < 10; i++) {
                rig.writeBack("before/" + i, new PatternSource(10 << 10, i), "1");
            }
            assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();

            s3.stop();
            // Uploads are held inside the UFS put while the storm is written: every write must be
            // acknowledged while an upload of the storm is still in the UFS's hands, since
            // acknowledgements never wait for the UFS.
            CountDownLatch ufsHeld = new CountDownLatch(1);
            AtomicBoolean heldTooLong = new AtomicBoolean();
            ufs.beforePut(k -> {
                try {
                    if (!ufsHeld.await(30, TimeUnit.SECONDS)) {
                        heldTooLong.set(true);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            int putsBefore = ufs.putsStarted();
            long stormStart = System.nanoTime();
            rig.writeBack("storm/0", new PatternSource(10 << 10, 100), "1");
            waitUntil(() -> ufs.putsStarted() > putsBefore, () -> "no upload of the storm started");
            for (int i = 1; i < OBJECTS; i++) {
                rig.writeBack("storm/" + i, new PatternSource(10 << 10, 100 + i), "1");
            }
            assertThat(heldTooLong).as("every write was acknowledged while an upload was held in the UFS").isFalse();
            ufs.beforePut(k -> { });
            ufsHeld.countDown();

            waitUntil(() -> rig.persister.stats().failedAttempts() >= OBJECTS, () -> rig.persister.stats().toString());
            // Wait for a retry after a backoff, so the bound on attempts below covers a real retry.
            waitUntil(() -> rig.catalog.persistQueue().pendingTasks(1000).stream().mapToInt(PersistTask::attempts).max().orElse(0) >= 2,
                    () -> rig.persister.stats().toString());
            // The count of failed attempts includes retries, so it can reach OBJECTS while the last
            // objects written are still waiting for their first attempt: wait for those too.
            waitUntil(() -> rig.catalog.persistQueue().pendingTasks(1000).stream().allMatch(t -> t.attempts() >= 1),
                    () -> rig.persister.stats().toString());
            long outageMs = (System.nanoTime() - stormStart) / 1_000_000;
            PersistStats during = rig.persister.stats();
            assertThat(during.persisted()).isEqualTo(10);
            assertThat(during.retrying() + during.queued() + during.inFlight()).isEqualTo(OBJECTS);
            assertThat(during.retrying()).isPositive();
            assertThat(during.bytesPending()).isEqualTo(OBJECTS * (10L << 10));
            // Backoff bounds the attempts: without it 4 threads would fail thousands of times a second.
            long maxAttemptsPerObject = outageMs / backoff.initial().toMillis() / 2 + 2;
            assertThat(during.failedAttempts()).isLessThanOrEqualTo(OBJECTS * maxAttemptsPerObject);

            List<PersistTask> durable = rig.catalog.persistQueue().pendingTasks(1000);
            assertThat(durable).hasSize(OBJECTS);
            assertThat(durable).allSatisfy(t -> {
                assertThat(t.lastError()).hasValueSatisfying(e -> assertThat(e).startsWith("UNAVAILABLE"));
            });
            assertThat(durable.stream().mapToInt(PersistTask::attempts).max().orElseThrow()).isGreaterThanOrEqualTo(2);
            // A failed attempt schedules the next one later than the task was queued (a backoff, not a spin).
            assertThat(durable).anySatisfy(t -> assertThat(t.nextAttemptTime()).isAfter(t.enqueuedTime()));
            assertThat(rig.persister.pending(1000)).extracting(PendingPersist::attempts).allMatch(a -> a >= 1);

            s3.restart();
            assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();
            for (int i = 0; i < OBJECTS; i++) {
                try (InputStream in = ufs.get("storm/" + i)) {
                    assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(10 << 10, 100 + i).sha256());
                }
            }
            assertThat(rig.persister.stats().persisted()).isEqualTo(10 + OBJECTS);
        } finally {
            s3.close();
        }
    }
}
