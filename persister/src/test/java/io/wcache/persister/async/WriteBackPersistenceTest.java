package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.logstore.Region;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.UfsObject;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PersistState;
import io.wcache.schema.catalog.SpaceUsage;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WRITE_BACK objects reach a real S3 server (s3proxy) intact, and the Catalog and log store follow. */
class WriteBackPersistenceTest {

    @TempDir
    Path dir;
    private EmbeddedS3Server s3;
    private FaultyUfs ufs;
    private PersistRig rig;

    @BeforeEach
    void start() throws Exception {
        s3 = S3Rig.server(dir.resolve("s3"));
        ufs = new FaultyUfs(S3Rig.ufs(s3));
        rig = new PersistRig(dir.resolve("worker"), ufs,
                PersisterConfig.of(PersistRig.WORKER, 4, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1))));
        rig.persister.start();
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
        s3.close();
    }

    @Test
    void writeBackObjectsOfEverySizeArriveByteIdenticalAndMultipartAboveTheThreshold() throws Exception {
        Map<String, PatternSource> bodies = new LinkedHashMap<>();
        bodies.put("sizes/empty", new PatternSource(0, 1));
        bodies.put("sizes/10k", new PatternSource(10 << 10, 2));
        bodies.put("sizes/10m", new PatternSource(10L << 20, 3));
        bodies.put("sizes/200m", new PatternSource(200L << 20, 4));
        Map<String, FileVersion> committed = new LinkedHashMap<>();
        for (var e : bodies.entrySet()) {
            committed.put(e.getKey(), rig.writeBack(e.getKey(), e.getValue(), "1"));
        }

        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(90))).isTrue();

        long total = 0;
        for (var e : bodies.entrySet()) {
            String key = e.getKey();
            PatternSource body = e.getValue();
            UfsObject head = ufs.head(key).orElseThrow();
            assertThat(head.size()).as(key).isEqualTo(body.length());
            try (InputStream in = ufs.get(key)) {
                assertThat(PatternSource.sha256(in)).as(key).isEqualTo(body.sha256());
            }
            // s3proxy reports multipart ETags as md5-of-parts-N: 10 MiB in 5 MiB parts is 2 parts.
            long parts = (body.length() + (5L << 20) - 1) / (5L << 20);
            if (body.length() >= 8L << 20) {
                assertThat(head.etag()).as(key).endsWith("-" + parts);
            } else {
                assertThat(head.etag()).as(key).doesNotContain("-");
            }
            FileVersion now = rig.catalog.files().lookup(PersistRig.path(key)).orElseThrow();
            assertThat(now.persistState()).as(key).isEqualTo(PersistState.PERSISTED);
            for (Extent x : rig.catalog.files().extents(committed.get(key).fileId())) {
                assertThat(rig.logStore.regionOf(PersistRig.location(x))).as(key).isEqualTo(Region.EVICTABLE);
            }
            total += body.length();
        }
        assertThat(rig.catalog.cluster().spaceUsage(PersistRig.WORKER)).isEqualTo(new SpaceUsage(0, total));
        PersistStats stats = rig.persister.stats();
        assertThat(stats.persisted()).isEqualTo(4);
        assertThat(stats.pending()).isZero();
        assertThat(stats.failedAttempts()).isZero();
        assertThat(rig.catalog.persistQueue().pendingTasks(10)).isEmpty();
    }

    /**
     * Uploads are background work: every persister thread runs at the lowest priority, so where
     * priorities reach the OS (the launcher's -XX:ThreadPriorityPolicy=1) they give way to the
     * threads that acknowledge writes.
     */
    @Test
    void persisterThreadsRunAtTheLowestPriority() throws Exception {
        rig.writeBack("prio/a", new PatternSource(1024, 3), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();
        java.util.List<Thread> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("wcache-persist")).toList();
        assertThat(threads).isNotEmpty();
        assertThat(threads).allSatisfy(t -> assertThat(t.getPriority()).as(t.getName()).isEqualTo(Thread.MIN_PRIORITY));
    }

    @Test
    void statsAndListShowInFlightAndQueuedWorkUntilItIsDone() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ufs.beforePut(k -> await(gate));
        for (int i = 0; i < 6; i++) {
            rig.writeBack("stat/" + i, new PatternSource(1000, i), "1");
        }
        waitUntil(() -> rig.persister.stats().inFlight() == 4, () -> rig.persister.stats() + " puts=" + ufs.putsStarted());

        PersistStats stats = rig.persister.stats();
        assertThat(stats.queued()).isEqualTo(2);
        assertThat(stats.bytesPending()).isEqualTo(6000);
        assertThat(stats.oldestPendingAge()).isPositive();
        List<PendingPersist> rows = rig.persister.pending(100);
        assertThat(rows).hasSize(6);
        assertThat(rows).filteredOn(r -> r.state() == PendingPersist.State.IN_FLIGHT).hasSize(4);
        assertThat(rows).filteredOn(r -> r.state() == PendingPersist.State.QUEUED).hasSize(2);
        assertThat(rows).allSatisfy(r -> assertThat(r.attempts()).isZero());

        gate.countDown();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        stats = rig.persister.stats();
        assertThat(stats.persisted()).isEqualTo(6);
        assertThat(stats.pending()).isZero();
        assertThat(stats.objectsPerSecond()).isPositive();
        assertThat(rig.persister.pending(100)).isEmpty();
    }

    /**
     * The version's ETag (the MD5 the write path recorded) goes with the upload as Content-MD5, so
     * bytes read from the cache that are not the ones it was computed from are refused by the store
     * and never land: the task stays pending, the previous object stays. Without the ETag sent, the
     * mismatched bytes were uploaded and marked PERSISTED.
     */
    @Test
    void bytesThatAreNotTheMd5TheirVersionRecordedNeverLand() throws Exception {
        rig.writeBack("md5/k", new PatternSource(10 << 10, 1), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        String previous = ufs.head("md5/k").orElseThrow().etag();

        String otherMd5 = "0123456789abcdef0123456789abcdef";
        FileVersion bad = rig.writeBackWithEtag("md5/k", new PatternSource(10 << 10, 2), otherMd5);
        waitUntil(() -> rig.persister.stats().failedAttempts() >= 1, () -> rig.persister.stats().toString());

        assertThat(ufs.head("md5/k").orElseThrow().etag()).isEqualTo(previous);
        assertThat(rig.catalog.files().lookup(PersistRig.path("md5/k")).orElseThrow())
                .satisfies(v -> assertThat(v.fileId()).isEqualTo(bad.fileId()))
                .satisfies(v -> assertThat(v.persistState()).isNotEqualTo(PersistState.PERSISTED));
        assertThat(rig.persister.pending(10)).singleElement()
                .satisfies(p -> assertThat(p.lastError()).hasValueSatisfying(e -> assertThat(e).contains("BadDigest")));
    }

    static void await(CountDownLatch gate) {
        try {
            gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        waitUntil(condition, () -> "");
    }

    static void waitUntil(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 20 s: " + state.get());
            }
            Thread.sleep(10);
        }
    }
}
