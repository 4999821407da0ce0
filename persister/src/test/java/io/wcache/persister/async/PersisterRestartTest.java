package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.PersistTask;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process is killed with SIGKILL while uploads are in flight and queued, some claimed
 * under its lease; a new process on the same metadata and cache directories persists them all.
 */
class PersisterRestartTest {

    private static final int OBJECTS = 30;

    @TempDir
    Path dir;

    @Test
    void uploadsPendingWhenTheWorkerIsKilledAllCompleteAfterRestart() throws Exception {
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3"))) {
            Path worker = dir.resolve("worker");
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx192m", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                    "-cp", System.getProperty("java.class.path"), RestartChild.class.getName(),
                    worker.toString(), s3.endpoint().toString(), String.valueOf(OBJECTS))
                    .redirectErrorStream(true).start();
            String ready = null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("READY") || line.startsWith("NOT-READY")) {
                        ready = line;
                        break;
                    }
                }
                assertThat(ready).startsWith("READY");
                child.destroyForcibly(); // SIGKILL
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                child.destroyForcibly();
            }

            FaultyUfs ufs = new FaultyUfs(S3Rig.ufs(s3));
            PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, 4,
                    new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1))).withPollInterval(Duration.ofMillis(100));
            try (PersistRig rig = new PersistRig(worker, ufs, config)) {
                List<PersistTask> left = rig.catalog.persistQueue().pendingTasks(1000);
                assertThat(left).hasSize(OBJECTS);
                assertThat(left).anySatisfy(t -> assertThat(t.leaseOwner()).contains(PersistRig.WORKER));

                rig.persister.start();
                assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();

                for (int i = 0; i < OBJECTS; i++) {
                    String key = "r/" + i;
                    PatternSource body = new PatternSource(i == 0 ? 12L << 20 : 10 << 10, i);
                    try (InputStream in = ufs.get(key)) {
                        assertThat(PatternSource.sha256(in)).as(key).isEqualTo(body.sha256());
                    }
                    assertThat(rig.catalog.files().lookup(PersistRig.path(key)).orElseThrow().persistState())
                            .isEqualTo(PersistState.PERSISTED);
                }
                // Claimed tasks came back at once through the lease owner, not after the lease expired.
                assertThat(rig.persister.stats().persisted()).isEqualTo(OBJECTS);
                assertThat(ufs.maxConcurrentPerKey()).isEqualTo(1);
            }
        }
    }
}
