package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistTask;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 server goes away during a write storm: writes are still acknowledged at local speed,
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
            long slowestAckNanos = 0;
            long stormStart = System.nanoTime();
            for (int i = 0; i < OBJECTS; i++) {
                long t0 = System.nanoTime();
                rig.writeBack("storm/" + i, new PatternSource(10 << 10, 100 + i), "1");
                slowestAckNanos = Math.max(slowestAckNanos, System.nanoTime() - t0);
            }
            // Acknowledgements never wait for the UFS: each write costs local work only.
            assertThat(Duration.ofNanos(slowestAckNanos)).isLessThan(Duration.ofSeconds(2));

            waitUntil(() -> rig.persister.stats().failedAttempts() >= OBJECTS, () -> rig.persister.stats().toString());
            Thread.sleep(1500);
            long outageMs = (System.nanoTime() - stormStart) / 1_000_000;
            PersistStats during = rig.persister.stats();
            assertThat(during.persisted()).isEqualTo(10);
            assertThat(during.retrying() + during.queued() + during.inFlight()).isEqualTo(OBJECTS);
            assertThat(during.retrying()).isPositive();
            assertThat(during.bytesPending()).isEqualTo(OBJECTS * (10L << 10));
            // Backoff bounds the attempts: without it 4 threads would fail thousands of times a second.
            long maxAttemptsPerObject = outageMs / backoff.initial().toMillis() / 2 + 2;
            assertThat(during.failedAttempts()).isLessThanOrEqualTo(OBJECTS * maxAttemptsPerObject);

            List<PersistTask> durable = rig.catalog.pendingTasks(1000);
            assertThat(durable).hasSize(OBJECTS);
            assertThat(durable).allSatisfy(t -> {
                assertThat(t.lastError()).hasValueSatisfying(e -> assertThat(e).startsWith("UNAVAILABLE"));
            });
            assertThat(durable.stream().mapToInt(PersistTask::attempts).max().orElseThrow()).isGreaterThanOrEqualTo(2);
            assertThat(durable).anySatisfy(t -> assertThat(t.nextAttemptTime()).isAfter(Instant.now().minusMillis(50)));
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
