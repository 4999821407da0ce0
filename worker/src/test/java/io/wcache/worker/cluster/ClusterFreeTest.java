package io.wcache.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.admin.AdminApi;
import io.wcache.worker.admin.AdminViews;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code wcadm fs free} through any worker of a cluster frees the cached copy on the worker
 * holding it, at once: that worker releases the extents and reclaims its segment space before the
 * answer, which says what each worker did.
 */
class ClusterFreeTest {

    private Path root;

    @BeforeEach
    void setUp() {
        root = TempDirs.create("cluster-free-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.delete(root);
    }

    @Test
    void freeThroughAnotherWorkerReclaimsTheSpaceOnTheWorkerHoldingTheCopyBeforeItAnswers() throws Exception {
        try (ClusterRig rig = new ClusterRig(root, 3)) {
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-1", "free/");
            NamespacePath path = NamespacePath.of("/" + ClusterRig.BUCKET + "/" + key);
            long size = 20L << 20; // spans sealed 8 MiB segments of worker-1
            PatternSource body = new PatternSource(size, 7);
            try (InputStream in = body.open(0, size)) {
                rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromInputStream(in, size));
            }
            LocalClusterTest.awaitTrue(() -> rig.worker(0).catalog().files().lookup(path).orElseThrow().persistState()
                    == PersistState.PERSISTED, key + " is persisted");
            var holder = rig.worker(1).logStore();
            long evictableBefore = holder.stats().evictableBytes();
            long usedBefore = holder.stats().usedBytes();
            assertThat(evictableBefore).as("worker-1 holds the persisted copy").isGreaterThanOrEqualTo(size);

            List<AdminViews.Progress> lines = new ArrayList<>();
            new AdminApi(rig.worker(0), Clock.systemUTC()).free(path.toString(), lines::add);

            assertThat(holder.stats().evictableBytes()).as("worker-1 released the copy before the answer")
                    .isLessThanOrEqualTo(evictableBefore - size);
            assertThat(holder.stats().usedBytes()).as("worker-1 reclaimed its sealed segments before the answer")
                    .isLessThanOrEqualTo(usedBefore - (8L << 20));
            AdminViews.Progress done = lines.get(lines.size() - 1);
            assertThat(done.done()).isTrue();
            assertThat(done.bytes()).isEqualTo(size);
            assertThat(done.workers()).extracting(AdminViews.WorkerFreed::worker).containsExactly("worker-0", "worker-1");
            AdminViews.WorkerFreed onHolder = done.workers().get(1);
            assertThat(onHolder.releasedBytes()).isEqualTo(size);
            assertThat(onHolder.freedSegmentBytes()).isGreaterThanOrEqualTo(8L << 20);
            assertThat(onHolder.error()).isNull();
            assertThat(done.message()).contains("worker-1: " + size + " bytes released");
            try (InputStream got = rig.client(2).getObject(b -> b.bucket(ClusterRig.BUCKET).key(key))) {
                assertThat(PatternSource.sha256(got)).as("read back from the UFS").isEqualTo(body.sha256());
            }
        }
    }

    @Test
    void aHolderThatIsDownIsReportedAndItsCopyIsDroppedAtItsRestart() throws Exception {
        try (ClusterRig rig = new ClusterRig(root, 3)) {
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-2", "free-down/");
            NamespacePath path = NamespacePath.of("/" + ClusterRig.BUCKET + "/" + key);
            // The owner holds the bytes, unless the forward to it could not connect (a loaded machine):
            // then the worker asked keeps them. Written again (bounded) until worker-2 holds them.
            for (int attempt = 0; attempt < 5; attempt++) {
                rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(new byte[3 << 20]));
                if (rig.worker(0).catalog().files().layout(path).orElseThrow().extents().get(0).worker().equals("worker-2")) {
                    break;
                }
            }
            assertThat(rig.worker(0).catalog().files().layout(path).orElseThrow().extents().get(0).worker())
                    .as("the holder of " + key).isEqualTo("worker-2");
            LocalClusterTest.awaitTrue(() -> rig.worker(0).catalog().files().lookup(path).orElseThrow().persistState()
                    == PersistState.PERSISTED, key + " is persisted");
            rig.cluster.kill("worker-2");
            LocalClusterTest.awaitTrue(() -> !rig.worker(0).membership().member("worker-2").orElseThrow().alive(),
                    "worker-2's lease lapses");

            List<AdminViews.Progress> lines = new ArrayList<>();
            new AdminApi(rig.worker(0), Clock.systemUTC()).free(path.toString(), lines::add);
            AdminViews.Progress done = lines.get(lines.size() - 1);
            assertThat(done.workers()).extracting(AdminViews.WorkerFreed::worker).containsExactly("worker-0", "worker-2");
            // Named as down either way: by the view (its lease lapsed) or, when the view read within the
            // last heartbeat still had it live, by the refused connection.
            assertThat(done.workers().get(1).error()).containsAnyOf("worker-2 is not live", "cannot connect to worker-2");

            rig.cluster.start("worker-2");
            assertThat(rig.worker(2).logStore().stats().evictableBytes()).as("restart recovery dropped the freed copy")
                    .isZero();
            assertThat(rig.client(1).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key)).asByteArray())
                    .hasSize(3 << 20);
        }
    }
}
