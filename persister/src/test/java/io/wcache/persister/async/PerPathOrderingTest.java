package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.await;
import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.ufs.UfsObject;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-path ordering against s3proxy with injected delays: whatever the interleaving of overwrites,
 * deletes and slow uploads, each path ends in the UFS as it was last committed.
 */
class PerPathOrderingTest {

    @TempDir
    Path dir;
    private EmbeddedS3Server s3;
    private FaultyUfs ufs;
    private PersistRig rig;

    private void start(int threads, int maxTrackedPaths, Duration pollInterval) throws Exception {
        s3 = S3Rig.server(dir.resolve("s3"));
        ufs = new FaultyUfs(S3Rig.ufs(s3));
        PersisterConfig config = PersisterConfig.of(PersistRig.WORKER, threads,
                        new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
                .withPollInterval(pollInterval).withMaxTrackedPaths(maxTrackedPaths);
        rig = new PersistRig(dir.resolve("worker"), ufs, config);
        rig.persister.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (rig != null) {
            rig.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void rapidOverwritesAndDeletesEndWithTheLastCommittedStateUnderUploadDelays() throws Exception {
        start(6, 100_000, Duration.ofMillis(50));
        ufs.beforePut(k -> sleep(ThreadLocalRandom.current().nextInt(40)));
        ufs.beforeDelete(k -> sleep(ThreadLocalRandom.current().nextInt(40)));
        Random random = new Random(42);
        Map<String, Optional<PatternSource>> last = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String key = "p/" + random.nextInt(6);
            if (random.nextInt(4) == 0 && last.getOrDefault(key, Optional.empty()).isPresent()) {
                rig.delete(key);
                last.put(key, Optional.empty());
            } else {
                PatternSource body = new PatternSource(random.nextInt(25) == 0 ? 9L << 20 : 1000 + random.nextInt(5000), i);
                rig.writeBack(key, body, String.valueOf(i));
                last.put(key, Optional.of(body));
            }
            if (random.nextInt(10) == 0) {
                sleep(random.nextInt(30));
            }
        }
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(60))).isTrue();

        for (var e : last.entrySet()) {
            Optional<UfsObject> head = ufs.head(e.getKey());
            if (e.getValue().isEmpty()) {
                assertThat(head).as(e.getKey()).isEmpty();
            } else {
                assertThat(head).as(e.getKey()).isPresent();
                try (InputStream in = ufs.get(e.getKey())) {
                    assertThat(PatternSource.sha256(in)).as(e.getKey()).isEqualTo(e.getValue().get().sha256());
                }
            }
        }
        assertThat(ufs.maxConcurrentPerKey()).isEqualTo(1);
        assertThat(rig.persister.stats().superseded()).isPositive();
        assertThat(rig.catalog.files().tombstone(PersistRig.path("p/0"))).isEmpty();
    }

    @Test
    void aDeleteWaitsForTheRunningUploadOfItsPath() throws Exception {
        start(4, 100_000, Duration.ofSeconds(1));
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            uploading.countDown();
            await(release);
        });
        rig.writeBack("d/x", new PatternSource(5000, 1), "1");
        await(uploading);
        rig.delete("d/x");
        // The delete is handed to the path's lane at once and queued behind the running upload.
        assertThat(rig.persister.pending(10)).filteredOn(p -> p.path().equals(PersistRig.path("d/x")))
                .singleElement().satisfies(p -> {
                    assertThat(p.kind()).isEqualTo(io.wcache.schema.catalog.TaskKind.DELETE);
                    assertThat(p.state()).isEqualTo(PendingPersist.State.QUEUED);
                });
        assertThat(ufs.ops("d/x")).isEmpty(); // the delete has not overtaken the upload
        release.countDown();

        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("d/x")).extracting(FaultyUfs.Op::kind).containsExactly("put", "delete");
        assertThat(ufs.head("d/x")).isEmpty();
        assertThat(rig.catalog.files().tombstone(PersistRig.path("d/x"))).isEmpty();
    }

    @Test
    void anUploadOfASupersededGenerationIsSkipped() throws Exception {
        start(1, 100_000, Duration.ofSeconds(1));
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            if (k.startsWith("block")) {
                busy.countDown();
                await(release);
            }
        });
        rig.writeBack("block", new PatternSource(10, 0), "0");
        await(busy); // the only upload thread is taken
        for (int v = 1; v <= 5; v++) {
            rig.writeBack("s/x", new PatternSource(2000 + v, v), String.valueOf(v));
        }
        release.countDown();

        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("s/x")).containsExactly(new FaultyUfs.Op("put", "s/x", "5"));
        try (InputStream in = ufs.get("s/x")) {
            assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(2005, 5).sha256());
        }
    }

    @Test
    void aPendingDeleteStillRunsWhenATransientVersionIsCommittedOverIt() throws Exception {
        start(1, 100_000, Duration.ofSeconds(1));
        rig.writeBack("t/x", new PatternSource(3000, 1), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            busy.countDown();
            await(release);
        });
        rig.writeBack("block", new PatternSource(10, 0), "0");
        await(busy); // the only thread is taken: the delete waits in its lane
        rig.delete("t/x");
        rig.write("t/x", new PatternSource(500, 2), "2", io.wcache.core.policy.WritePolicy.TRANSIENT, true);
        release.countDown();

        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        // The transient version never reaches the UFS, and the old object is gone.
        assertThat(ufs.head("t/x")).isEmpty();
        assertThat(ufs.ops("t/x")).extracting(FaultyUfs.Op::kind).containsExactly("put", "delete");
    }

    @Test
    void droppedFastPathEventsArePersistedThroughTheDurableQueueWithoutDoubleUploads() throws Exception {
        // Tracking at most 3 paths: most events are dropped and must come back through claims.
        start(4, 3, Duration.ofMillis(20));
        ufs.beforePut(k -> sleep(20));
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add("q/" + i);
            rig.writeBack("q/" + i, new PatternSource(3000, i), "1");
        }
        waitUntil(() -> rig.persister.stats().droppedEvents() > 0);
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(30))).isTrue();

        for (int i = 0; i < keys.size(); i++) {
            try (InputStream in = ufs.get(keys.get(i))) {
                assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(3000, i).sha256());
            }
        }
        assertThat(ufs.maxConcurrentPerKey()).isEqualTo(1);
        assertThat(rig.persister.stats().persisted()).isEqualTo(40);
    }

    @Test
    void aTaskCommittedMomentsAgoIsLeftToTheWritePathUntilItIsOlderThanAPollInterval() throws Exception {
        start(2, 100, Duration.ofSeconds(1));
        // Once this is persisted through the queue, the poller's first pass (which claims every
        // due task, young or not) is over.
        rig.writeBack("old/b", new PatternSource(1000, 2), "1", false);
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        // Committed without telling the persister: to the poller it looks like a write whose
        // fast-path event is still on its way.
        rig.writeBack("young/a", new PatternSource(1000, 1), "1", false);
        // Wait for a whole poller pass that began after the commit (not for a guessed time).
        long begun = rig.persister.pollPassesBegun();
        rig.persister.pollDurableQueue();
        WriteBackPersistenceTest.waitUntil(() -> rig.persister.pollPassesEnded() > begun);
        assertThat(rig.catalog.persistQueue().pendingTasks(10)).singleElement()
                .satisfies(t -> assertThat(t.leaseOwner()).as("not claimed while younger than a poll interval").isEmpty());
        assertThat(ufs.ops("young/a")).isEmpty();

        // Once older than the interval, it is claimed and persisted from the durable queue.
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        try (InputStream in = ufs.get("young/a")) {
            assertThat(PatternSource.sha256(in)).isEqualTo(new PatternSource(1000, 1).sha256());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
