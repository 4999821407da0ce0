package io.wcache.worker.cluster;

import static io.wcache.worker.cluster.LocalClusterTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wcache.core.path.NamespacePath;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.Membership;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@code writeReplicas = 2} in a three-worker one-process cluster: every acknowledged write is
 * durable on two workers (the Catalog records the copy), a crash-stopped worker loses nothing
 * (its objects are read from their copies at once, then taken over by a survivor, which persists
 * them once the UFS is back, each object uploaded once), a delete releases the copies, and a
 * write that cannot get its copies is refused with 503.
 */
class ReplicationTest {

    private static final String REPLICAS_2 = "path.default.write.replicas=2";
    /**
     * Longer than ClusterRig's: a survivor takes over the versions of a worker whose lease lapsed,
     * so on a loaded machine a lease of 800 ms could lapse for a live worker and move versions
     * before the test looks at where they are.
     */
    private static final String LEASE = "cluster.lease.duration=3s";

    private Path root;

    @BeforeEach
    void setUp() throws IOException {
        root = TempDirs.create("replicas-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.delete(root);
    }

    /** Uploads below /m/{@code dir} fail while a regular file stands where that directory should be. */
    private void ufsDown(String dir) throws IOException {
        Files.createDirectories(TestWorkers.ufsDir(root));
        Files.writeString(TestWorkers.ufsDir(root).resolve(dir), "blocked");
    }

    private void ufsBack(String dir) throws IOException {
        Files.delete(TestWorkers.ufsDir(root).resolve(dir));
    }

    @Test
    void withTheUfsDownACrashStoppedWorkerLosesNothingAcknowledgedAndEachObjectIsUploadedOnceWhenTheUfsReturns()
            throws Exception {
        ufsDown("rep");
        try (ClusterRig rig = new ClusterRig(root, 3, REPLICAS_2, LEASE)) {
            Catalog catalog = rig.worker(0).catalog();
            Random random = new Random(18);
            Map<String, byte[]> written = new LinkedHashMap<>();
            int[] sizes = {0, 1, 10 << 10, 100 << 10, (3 << 20) + 17};
            for (int i = 0; i < 24; i++) {
                String key = "rep/o" + i;
                byte[] body = new byte[sizes[i % sizes.length]];
                random.nextBytes(body);
                rig.client(i % 3).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(body));
                written.put(key, body);
            }
            // Every acknowledged version is held by two distinct workers, its copy recorded with it.
            int heldByVictim = 0;
            for (String key : written.keySet()) {
                FileLayout l = catalog.files().layout(NamespacePath.of("/m/" + key)).orElseThrow();
                FileVersion v = l.file();
                assertThat(v.persistState()).as(key).isNotEqualTo(PersistState.PERSISTED);
                assertThat(v.replicaWorkers()).as("the replica of %s (%s)", key, l).hasSize(1);
                String holder = l.extents().isEmpty() ? v.ownerWorker() : l.extents().get(0).worker();
                assertThat(v.replicaWorkers().get(0)).as("the copy of %s is on another worker", key).isNotEqualTo(holder);
                if (holder.equals("worker-1") && v.size() > 0) {
                    heldByVictim++;
                }
            }
            assertThat(heldByVictim).as("worker-1 holds some objects' bytes").isPositive();

            rig.cluster.kill("worker-1");
            // At once, before the lease lapses: the survivors read worker-1's objects from their copies.
            for (int reader : new int[] {0, 2}) {
                for (Map.Entry<String, byte[]> w : written.entrySet()) {
                    assertThat(read(rig, reader, w.getKey())).as("%s through worker-%d right after the crash",
                            w.getKey(), reader).isEqualTo(w.getValue());
                }
            }
            awaitTrue(() -> rig.worker(0).membership().member("worker-1").orElseThrow().state()
                    == Membership.Member.State.DEAD, "worker-1's lease lapses");
            awaitTrue(() -> written.keySet().stream().noneMatch(k -> bytesOn(catalog, k).contains("worker-1")),
                    "the survivors take over every version whose bytes worker-1 held");
            for (int reader : new int[] {0, 2}) {
                for (Map.Entry<String, byte[]> w : written.entrySet()) {
                    assertThat(read(rig, reader, w.getKey())).as("%s through worker-%d after the take-over",
                            w.getKey(), reader).isEqualTo(w.getValue());
                }
            }
            assertThat(persisted(rig, 0) + persisted(rig, 2)).as("nothing reached the UFS while it was down").isZero();

            ufsBack("rep");
            awaitTrue(() -> written.keySet().stream().allMatch(k -> catalog.files().lookup(NamespacePath.of("/m/" + k))
                    .orElseThrow().persistState() == PersistState.PERSISTED), "every object is persisted");
            for (Map.Entry<String, byte[]> w : written.entrySet()) {
                assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve(w.getKey()))).as("the UFS holds %s",
                        w.getKey()).isEqualTo(w.getValue());
            }
            assertThat(persisted(rig, 0) + persisted(rig, 2)).as("each object uploaded once, cluster-wide")
                    .isEqualTo(written.size());
            Map<String, Object> uploadedFiles = new LinkedHashMap<>();
            for (String key : written.keySet()) {
                uploadedFiles.put(key, ufsFileIdentity(key));
            }

            // worker-1 comes back: it drops what the others took over and persisted, and serves everything.
            rig.cluster.start("worker-1");
            for (Map.Entry<String, byte[]> w : written.entrySet()) {
                assertThat(read(rig, 1, w.getKey())).as("%s through the restarted worker-1", w.getKey())
                        .isEqualTo(w.getValue());
            }
            assertThat(persisted(rig, 1)).as("worker-1 uploads nothing the others persisted").isZero();
            for (int i = 0; i < 3; i++) {
                var store = rig.worker(i).logStore();
                awaitTrue(() -> store.stats().pinnedBytes() == 0, "worker-" + i + " keeps nothing pinned once all is"
                        + " persisted (copies released)");
            }
            for (String key : written.keySet()) {
                assertThat(ufsFileIdentity(key)).as("%s was not uploaded again after it was persisted", key)
                        .isEqualTo(uploadedFiles.get(key));
            }
        }
    }

    @Test
    void aDeleteReleasesTheBytesOnBothHoldersAndAWriteThatCannotGetItsCopiesIs503() throws Exception {
        ufsDown("rep");
        try (ClusterRig rig = new ClusterRig(root, 3, REPLICAS_2, LEASE)) {
            Catalog catalog = rig.worker(0).catalog();
            long[] before = new long[3];
            for (int i = 0; i < 3; i++) {
                before[i] = rig.worker(i).logStore().stats().pinnedBytes();
            }
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-1", "rep/");
            rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(new byte[1 << 20]));
            Set<String> holders = heldBy(catalog, key);
            assertThat(holders).hasSize(2).contains("worker-1");
            for (String h : holders) {
                Worker w = rig.cluster.worker(h);
                int i = Integer.parseInt(h.substring("worker-".length()));
                assertThat(w.logStore().stats().pinnedBytes() - before[i]).as("%s holds the bytes pinned", h)
                        .isGreaterThanOrEqualTo(1 << 20);
            }
            rig.client(2).deleteObject(b -> b.bucket(ClusterRig.BUCKET).key(key));
            for (String h : holders) {
                int i = Integer.parseInt(h.substring("worker-".length()));
                var store = rig.cluster.worker(h).logStore();
                awaitTrue(() -> store.stats().pinnedBytes() <= before[i], h + " releases the deleted version's bytes");
            }

            // Two of three workers gone: a write asking for two copies is refused, never acknowledged with one.
            rig.cluster.kill("worker-1");
            rig.cluster.kill("worker-2");
            S3Exception e = (S3Exception) catchThrowable(() -> rig.client(0).putObject(
                    b -> b.bucket(ClusterRig.BUCKET).key("rep/refused"), RequestBody.fromString("x")));
            assertThat(e).isNotNull();
            assertThat(e.statusCode()).isEqualTo(503);
            assertThat(e.awsErrorDetails().errorMessage()).contains("writeReplicas 2");
            assertThat(catalog.files().lookup(NamespacePath.of("/m/rep/refused"))).as("nothing was committed").isEmpty();
        }
    }

    @Test
    void aDrainedWorkerHandsItsVersionsToTheirReplicaHoldersAndLeavesTheRing() throws Exception {
        ufsDown("rep");
        try (ClusterRig rig = new ClusterRig(root, 3, REPLICAS_2, LEASE)) {
            Catalog catalog = rig.worker(0).catalog();
            Random random = new Random(5);
            Map<String, byte[]> written = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                String key = "rep/d" + i;
                byte[] body = new byte[(i % 3) * (40 << 10) + 1];
                random.nextBytes(body);
                rig.client(i % 3).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(body));
                written.put(key, body);
            }
            assertThat(catalog.replicas().unpersistedOn("worker-1")).as("worker-1 holds some versions").isNotEmpty();

            List<io.wcache.worker.admin.AdminViews.Progress> progress = new java.util.ArrayList<>();
            new io.wcache.worker.admin.AdminApi(rig.worker(0), java.time.Clock.systemUTC())
                    .drain("worker-1", java.time.Duration.ofSeconds(30), progress::add);

            var last = progress.get(progress.size() - 1);
            assertThat(last.done()).isTrue();
            assertThat(last.message()).contains("holds nothing only it has");
            assertThat(catalog.replicas().unpersistedOn("worker-1")).as("nothing unpersisted is only on worker-1")
                    .isEmpty();
            assertThat(rig.worker(0).membership().member("worker-1").orElseThrow().state())
                    .isEqualTo(Membership.Member.State.DRAINING);
            for (int reader = 0; reader < 3; reader++) {
                for (Map.Entry<String, byte[]> w : written.entrySet()) {
                    assertThat(read(rig, reader, w.getKey())).as("%s through worker-%d after the drain", w.getKey(),
                            reader).isEqualTo(w.getValue());
                }
            }
            // Stopping the drained worker loses nothing: the others hold every version.
            rig.cluster.kill("worker-1");
            for (Map.Entry<String, byte[]> w : written.entrySet()) {
                assertThat(read(rig, 2, w.getKey())).as("%s once worker-1 is gone", w.getKey()).isEqualTo(w.getValue());
            }
        }
    }

    /** The workers holding the current version of {@code key}: its bytes' and its copies'. */
    private static Set<String> heldBy(Catalog catalog, String key) {
        FileLayout l = catalog.files().layout(NamespacePath.of("/m/" + key)).orElseThrow();
        Set<String> out = l.extents().stream().map(Extent::worker).collect(Collectors.toSet());
        out.addAll(l.file().replicaWorkers());
        return out;
    }

    /** The workers holding the current version's own bytes (not its copies). */
    private static Set<String> bytesOn(Catalog catalog, String key) {
        return catalog.files().layout(NamespacePath.of("/m/" + key)).orElseThrow().extents().stream()
                .map(Extent::worker).collect(Collectors.toSet());
    }

    private static long persisted(ClusterRig rig, int i) {
        return ((io.wcache.worker.persist.AsyncPersister) rig.worker(i).persister()).stats().persisted();
    }

    /** The UFS file of {@code key} as the file system identifies it (an upload writes a new file and renames it). */
    private Object ufsFileIdentity(String key) throws IOException {
        var a = Files.readAttributes(TestWorkers.ufsDir(root).resolve(key),
                java.nio.file.attribute.BasicFileAttributes.class);
        return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toString());
    }

    private static byte[] read(ClusterRig rig, int worker, String key) {
        return rig.client(worker).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key)).asByteArray();
    }

}
