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

/** Upload threads run in Linux's idle scheduling class when configured so, and only then. */
class IdleSchedulingTest {

    @TempDir
    Path dir;

    @Test
    void aThreadEntersTheIdleClassAndOthersStayWhereTheyWere() throws Exception {
        AtomicInteger inside = new AtomicInteger(-2);
        AtomicInteger entered = new AtomicInteger();
        Thread t = new Thread(() -> {
            entered.set(IdleScheduling.enter() ? 1 : 0);
            inside.set(IdleScheduling.currentPolicy());
        });
        t.start();
        t.join(15_000);
        assertThat(entered.get()).isEqualTo(1);
        assertThat(inside.get()).isEqualTo(IdleScheduling.SCHED_IDLE);
        assertThat(IdleScheduling.currentPolicy()).isNotEqualTo(IdleScheduling.SCHED_IDLE).isNotNegative();
    }

    @Test
    void uploadsRunInTheIdleClassOnlyWhenConfigured() throws Exception {
        assertThat(policiesOfUploads(true)).isNotEmpty().containsOnly(IdleScheduling.SCHED_IDLE);
        assertThat(policiesOfUploads(false)).isNotEmpty().doesNotContain(IdleScheduling.SCHED_IDLE);
    }

    private List<Integer> policiesOfUploads(boolean idle) throws Exception {
        Path root = dir.resolve(idle ? "idle" : "normal");
        List<Integer> policies = new CopyOnWriteArrayList<>();
        try (EmbeddedS3Server s3 = S3Rig.server(root.resolve("s3"))) {
            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            ufs.beforePut(key -> policies.add(IdleScheduling.currentPolicy()));
            PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 2,
                    new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1))).withIdlePriority(idle);
            try (PersistRig rig = new PersistRig(root.resolve("worker"), ufs, config)) {
                rig.persister.start();
                for (int i = 0; i < 4; i++) {
                    rig.writeBack("idle/o" + i, new PatternSource(1024, i), "1");
                }
                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();
            }
        }
        return policies;
    }
}
