package io.wcache.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.HostPort;
import io.wcache.core.config.WcacheConfig;
import io.wcache.persister.testing.TempDirs;
import io.wcache.schema.catalog.Membership;
import io.wcache.worker.TestWorkers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@code wcache serve --workers N} as a {@link LocalCluster}: named workers on shifted ports with
 * their own cache directories, membership leases that make a crash-stopped worker dead for the
 * others, and a restart from the worker's directory.
 */
class LocalClusterTest {

    private Path root;

    @BeforeEach
    void setUp() throws IOException {
        root = TempDirs.create("cluster-");
    }

    @AfterEach
    void tearDown() {
        TempDirs.delete(root);
    }

    @Test
    void workerIListensOnTheConfiguredPortsPlusTenTimesIAndKeepsItsCacheInItsOwnDirectory() {
        WcacheConfig base = TestWorkers.config(root, "s3.address=127.0.0.1:19000", "admin.address=127.0.0.1:19001");
        WcacheConfig w2 = LocalCluster.configOf(base, 2);
        assertThat(w2.s3Address()).isEqualTo(new HostPort("127.0.0.1", 19020));
        assertThat(w2.adminAddress()).isEqualTo(new HostPort("127.0.0.1", 19021));
        assertThat(w2.cacheDirs()).containsExactly(root.resolve("cache").toAbsolutePath().resolve("worker-2"));
        assertThat(w2.source(ConfigKeys.S3_ADDRESS)).contains("--workers");
        assertThat(LocalCluster.configOf(base, 0).s3Address()).isEqualTo(base.s3Address());
    }

    @Test
    void everyWorkerJoinsAndACrashStoppedWorkerIsDeadForTheOthersUntilItStartsAgain() throws Exception {
        try (ClusterRig rig = new ClusterRig(root, 3)) {
            Membership m = rig.worker(0).membership();
            assertThat(m.alive()).extracting(Membership.Member::id).containsExactly("worker-0", "worker-1", "worker-2");
            for (Membership.Member member : m.members()) {
                int i = Integer.parseInt(member.id().substring("worker-".length()));
                assertThat(member.addresses().s3()).endsWith(":" + rig.s3Port(i));
            }
            Map<String, Double> shares = HashRing.of(List.of("worker-0", "worker-1", "worker-2")).shares();
            assertThat(shares.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0,
                    org.assertj.core.data.Offset.offset(1e-9));
            Instant firstStart = m.member("worker-1").orElseThrow().startedTime();
            int port = rig.s3Port(1);

            rig.cluster.kill("worker-1");
            assertThat(connects(port)).as("a crash-stopped worker's S3 socket is closed").isFalse();
            awaitTrue(() -> m.member("worker-1").orElseThrow().state() == Membership.Member.State.DEAD,
                    "worker-1's lease lapses");
            assertThat(m.alive()).extracting(Membership.Member::id).containsExactly("worker-0", "worker-2");
            assertThatThrownBy(() -> rig.cluster.kill("worker-1")).hasMessageContaining("not running");
            assertThatThrownBy(() -> rig.cluster.kill("worker-7")).hasMessageContaining("no worker named worker-7");

            rig.cluster.start("worker-1");
            Membership.Member back = m.member("worker-1").orElseThrow();
            assertThat(back.state()).isEqualTo(Membership.Member.State.LIVE);
            assertThat(back.startedTime()).isAfterOrEqualTo(firstStart);
            rig.client(1).putObject(b -> b.bucket(ClusterRig.BUCKET).key("after-restart"),
                    RequestBody.fromString("x"));
        }
        // A clean stop ends every lease at once.
        try (var engine = io.wcache.fdb.MetadataEngine.open(TestWorkers.config(root).metadataEngine())) {
            Membership m = new Membership(engine.recordDatabase(), io.wcache.worker.Worker.CATALOG_NAME,
                    java.time.Clock.systemUTC());
            assertThat(m.alive()).isEmpty();
            assertThat(m.members()).hasSize(3);
        }
    }

    @Test
    void anUnpersistedObjectHeldOnlyByADeadWorkerIs503NamingItNever404AndReadsBackEverywhereAfterItsRestart()
            throws Exception {
        // Uploads below /m/held fail while a regular file stands where their directory should be.
        Files.createDirectories(TestWorkers.ufsDir(root));
        Files.writeString(TestWorkers.ufsDir(root).resolve("held"), "blocked");
        try (ClusterRig rig = new ClusterRig(root, 3)) {
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-1", "held/");
            rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromString("one"));
            assertThat(read(rig, 2, key)).as("read through a third worker while the owner lives").isEqualTo("one");
            rig.cluster.kill("worker-1");
            for (int reader : new int[] {0, 2}) {
                S3Exception e = (S3Exception) org.assertj.core.api.Assertions.catchThrowable(() -> read(rig, reader, key));
                assertThat(e).as("GET through worker-%d of an object only a dead worker holds", reader).isNotNull();
                assertThat(e.statusCode()).isEqualTo(503);
                assertThat(e.awsErrorDetails().errorMessage()).contains("worker-1");
            }
            awaitTrue(() -> rig.worker(0).membership().member("worker-1").orElseThrow().state()
                    == Membership.Member.State.DEAD, "worker-1's lease lapses");
            S3Exception e = (S3Exception) org.assertj.core.api.Assertions.catchThrowable(() -> read(rig, 0, key));
            assertThat(e.statusCode()).as("still 503 once worker-1 is known dead").isEqualTo(503);
            assertThat(e.awsErrorDetails().errorMessage()).contains("worker-1");

            rig.cluster.start("worker-1");
            for (int reader = 0; reader < 3; reader++) {
                assertThat(read(rig, reader, key)).as("after the restart, through worker-%d", reader).isEqualTo("one");
            }
        }
    }

    @Test
    void aClusterRoutesByItsWholeRingFromItsFirstRequest() throws Exception {
        // worker-0 reads the membership while it starts, before the others (and itself) joined; each
        // worker keeps its view for a heartbeat (10 s here), so without a fresh read once all have
        // started it would route by an empty ring and keep a write owned by worker-2.
        io.wcache.worker.Frontend.Factory readsTheViewAtStart = w -> {
            w.frontendService().open(io.wcache.core.path.NamespacePath.of("/m/none")).handle((r, e) -> null).join();
            return new io.wcache.worker.Frontend() {
                @Override
                public String describe() {
                    return "reads the cluster view at start";
                }

                @Override
                public void close() {
                }
            };
        };
        Files.createDirectories(TestWorkers.ufsDir(root));
        Files.writeString(TestWorkers.ufsDir(root).resolve("held"), "blocked"); // stays pinned: never persisted
        try (ClusterRig rig = new ClusterRig(root, 3, readsTheViewAtStart, "cluster.lease.duration=30s",
                "cluster.heartbeat.interval=10s")) {
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-2", "held/");
            var owner = rig.worker(2).logStore();
            long before = owner.stats().pinnedBytes();
            rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(new byte[1 << 20]));
            assertThat(owner.stats().pinnedBytes() - before).as("worker-2, the key's owner, holds the write")
                    .isGreaterThanOrEqualTo(1 << 20);
        }
    }

    @Test
    void aDeleteThroughAnotherWorkerReclaimsThePinnedBytesOnTheWorkerHoldingThem() throws Exception {
        Files.createDirectories(TestWorkers.ufsDir(root));
        Files.writeString(TestWorkers.ufsDir(root).resolve("held"), "blocked"); // stays pinned: never persisted
        try (ClusterRig rig = new ClusterRig(root, 3)) {
            String key = ClusterForwardingTest.pickKeyOwnedBy("worker-1", "held/");
            var holder = rig.worker(1).logStore();
            long before = holder.stats().pinnedBytes();
            rig.client(0).putObject(b -> b.bucket(ClusterRig.BUCKET).key(key), RequestBody.fromBytes(new byte[1 << 20]));
            assertThat(holder.stats().pinnedBytes() - before).as("worker-1 holds the forwarded write, pinned")
                    .isGreaterThanOrEqualTo(1 << 20);
            long onDeleter = rig.worker(2).logStore().stats().pinnedBytes();

            rig.client(2).deleteObject(b -> b.bucket(ClusterRig.BUCKET).key(key));
            awaitTrue(() -> holder.stats().pinnedBytes() <= before, "worker-1 releases the deleted version's bytes");
            assertThat(rig.worker(2).logStore().stats().pinnedBytes()).as("the deleting worker released none of its own")
                    .isEqualTo(onDeleter);
            S3Exception gone = (S3Exception) org.assertj.core.api.Assertions.catchThrowable(() -> read(rig, 1, key));
            assertThat(gone.statusCode()).isEqualTo(404);
        }
    }

    private static String read(ClusterRig rig, int worker, String key) {
        return rig.client(worker).getObjectAsBytes(b -> b.bucket(ClusterRig.BUCKET).key(key))
                .asString(StandardCharsets.UTF_8);
    }

    private static boolean connects(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits for a condition the cluster reaches by itself (a lease lapsing), up to 15 s. */
    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting until " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
