package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads transfer in Linux's idle scheduling class when configured so, and only then; a thread
 * returns to the normal class after the transfer, and one started meanwhile can leave it.
 */
class IdleSchedulingTest {

    @TempDir
    Path dir;

    @Test
    void aCallRunsInTheIdleClassAndTheThreadComesBackAfterIt() throws Exception {
        assertThat(IdleScheduling.available()).as("sched_setscheduler through jnr-ffi, as root").isTrue();
        AtomicInteger inside = new AtomicInteger(-2);
        AtomicInteger after = new AtomicInteger(-2);
        AtomicInteger started = new AtomicInteger(-2);
        Thread t = new Thread(() -> {
            IdleScheduling.during(() -> {
                inside.set(IdleScheduling.currentPolicy());
                // A thread started meanwhile inherits the class, until it leaves it.
                Thread child = new Thread(() -> {
                    IdleScheduling.leave();
                    started.set(IdleScheduling.currentPolicy());
                });
                child.start();
                try {
                    child.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            after.set(IdleScheduling.currentPolicy());
        });
        t.start();
        t.join(15_000);
        assertThat(inside.get()).isEqualTo(IdleScheduling.SCHED_IDLE);
        assertThat(after.get()).isEqualTo(IdleScheduling.SCHED_OTHER);
        assertThat(started.get()).isEqualTo(IdleScheduling.SCHED_OTHER);
    }

    @Test
    void uploadsTransferInTheIdleClassOnlyWhenConfigured() throws Exception {
        assertThat(policiesOfTransfers(true)).isNotEmpty().containsOnly(IdleScheduling.SCHED_IDLE);
        assertThat(policiesOfTransfers(false)).isNotEmpty().containsOnly(IdleScheduling.SCHED_OTHER);
    }

    private List<Integer> policiesOfTransfers(boolean idle) throws Exception {
        Path root = dir.resolve(idle ? "idle" : "normal");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        try (EmbeddedS3Server s3 = S3Rig.server(root.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            ufs.beforePut(key -> seen.add(IdleScheduling.currentPolicy()));
            PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 1,
                    new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1))).withIdlePriority(idle);
            try (PersistRig rig = new PersistRig(root.resolve("worker"), ufs, config)) {
                rig.persister.start();
                for (int i = 0; i < 4; i++) {
                    rig.writeBack("idle/o" + i, new PatternSource(1024, i), "1");
                }
                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();
            }
        }
        return seen;
    }
}
