package io.wcache.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.PersistStatus;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.cache.WorkerCacheService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** The rig the benchmark measures: policies by prefix, the UFS behind the mount, reads through the endpoint. */
class BenchRigTest {

    @Test
    void writesFollowThePolicyOfTheirPrefixAndReadBackThroughTheEndpoint(@TempDir Path dir) throws Exception {
        try (BenchRig rig = BenchRig.start(dir, 4, null)) {
            byte[] body = "hello bench".getBytes(StandardCharsets.UTF_8);
            var s3 = rig.workerClient();
            s3.putObject(b -> b.bucket(BenchRig.BUCKET).key("wt/a"), RequestBody.fromBytes(body));
            // WRITE_THROUGH: in the UFS when the PUT returns.
            assertThat(rig.directClient().getObjectAsBytes(b -> b.bucket(BenchRig.UFS_BUCKET).key("bench/wt/a"))
                    .asByteArray()).isEqualTo(body);

            s3.putObject(b -> b.bucket(BenchRig.BUCKET).key("wb/a"), RequestBody.fromBytes(body));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BenchRig.BUCKET).key("wb/a")).asByteArray()).isEqualTo(body);
            assertThat(rig.awaitPersisted(Duration.ofSeconds(30), Duration.ofMillis(50))).isZero();
            var info = WorkerCacheService.await(rig.worker().cacheService().stat(NamespacePath.of("/bench/wb/a")));
            assertThat(info.orElseThrow().persistStatus()).isEqualTo(PersistStatus.PERSISTED);

            // Cold: present only in the UFS, read through the worker.
            rig.directClient().putObject(b -> b.bucket(BenchRig.UFS_BUCKET).key("bench/cold/x"), RequestBody.fromBytes(body));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BenchRig.BUCKET).key("cold/x")).asByteArray()).isEqualTo(body);
        }
    }

    /** The stage table reads the worker's /metrics: a WRITE_BACK PUT and its upload count in every stage. */
    @Test
    void aPutAndItsUploadShowInEveryStageReadFromMetrics(@TempDir Path dir) throws Exception {
        try (BenchRig rig = BenchRig.start(dir, 4, null)) {
            StageTimes.Scrape before = StageTimes.parse(rig.scrapeMetrics());
            // A PUT above write.cache.sync.copy.max waits for its log sync (log.sync); a small PUT's
            // log records are synced in the background (log.sync.background). The small one last:
            // a sync after it would cover its records, and no background sync would be needed.
            rig.workerClient().putObject(b -> b.bucket(BenchRig.BUCKET).key("wb/staged-large"),
                    RequestBody.fromBytes(new byte[100 * 1024]));
            rig.workerClient().putObject(b -> b.bucket(BenchRig.BUCKET).key("wb/staged"),
                    RequestBody.fromBytes(new byte[10 * 1024]));
            assertThat(rig.awaitPersisted(Duration.ofSeconds(30), Duration.ofMillis(50))).isZero();
            List<String> every = java.util.Arrays.stream(io.wcache.core.metrics.Stage.values())
                    .map(io.wcache.core.metrics.Stage::label).toList();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            var stages = StageTimes.between(before, StageTimes.parse(rig.scrapeMetrics()));
            while (!stages.stream().map(BenchResults.StageLatency::stage).toList().containsAll(every)
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
                stages = StageTimes.between(before, StageTimes.parse(rig.scrapeMetrics()));
            }
            assertThat(stages).extracting(BenchResults.StageLatency::stage).containsAll(every);
            assertThat(stages).allSatisfy(s -> {
                assertThat(s.count()).isPositive();
                assertThat(s.p50Ms()).isPositive().isLessThanOrEqualTo(s.p99Ms());
            });
        }
    }
}
