package io.wcache.persister.async;

import static io.wcache.persister.async.WriteBackPersistenceTest.await;
import static io.wcache.persister.async.WriteBackPersistenceTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PersistState;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers' persisters over one Catalog and one object store (s3proxy), as in a cluster: a
 * path's UFS operations are ordered across them, not only within one. The write path hands each
 * worker's persister its own commits and deletes; an operation running on one worker must end
 * before another worker's operation of the same path starts, or an older upload lands last.
 */
class CrossWorkerOrderingTest {

    @TempDir
    Path dir;
    private EmbeddedS3Server s3;
    private FaultyUfs ufs;
    private PersistRig rig;
    /** The second worker's persister: same Catalog, store and UFS, its own lanes and lease owner. */
    private Persister other;

    @BeforeEach
    void start() throws Exception {
        start(PersisterConfig.DEFAULT_LEASE);
    }

    /** Both persisters with leases of {@code lease} (the tests but one use the default). */
    private void start(Duration lease) throws Exception {
        stop();
        s3 = S3Rig.server(dir.resolve("s3"));
        ufs = new FaultyUfs(S3Rig.ufs(s3));
        rig = new PersistRig(dir.resolve("worker"), ufs, config(PersistRig.WORKER, lease));
        rig.persister.start();
        // Its extents' worker is the rig's, so an upload it is handed is its to run (a replica holder's).
        other = new Persister(rig.catalog, LocalExtents.of(rig.logStore, PersistRig.WORKER), rig.router, config("w2", lease));
        other.start();
    }

    private static PersisterConfig config(String owner, Duration lease) {
        return new PersisterConfig(owner, 4, new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)),
                Duration.ofMillis(200), lease, PersisterConfig.DEFAULT_CLAIM_BATCH,
                PersisterConfig.DEFAULT_MAX_TRACKED_PATHS, PersisterConfig.DEFAULT_MARK_LINGER, false, null);
    }

    @AfterEach
    void stop() throws Exception {
        if (other != null) {
            other.close();
            other = null;
        }
        if (rig != null) {
            rig.close();
            rig = null;
        }
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
    }

    @Test
    void anUploadThatOutlivesItsLeaseStillHoldsItsPathAgainstADeleteElsewhere() throws Exception {
        start(Duration.ofMillis(600));
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            uploading.countDown();
            await(release);
        });
        rig.writeBack("l/x", new PatternSource(5000, 1), "1");
        await(uploading);
        DeleteResult d = rig.catalog.files().delete(PersistRig.path("l/x"));
        other.onDeleted(d.tombstone());
        Thread.sleep(2_000); // more than three leases: the running upload renews its own
        assertThat(ufs.ops("l/x")).as("the delete waits for the upload however long it runs").isEmpty();
        assertThat(other.heldBack()).isPositive();

        release.countDown();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(other.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("l/x")).extracting(FaultyUfs.Op::kind).containsExactly("put", "delete");
        assertThat(ufs.head("l/x")).isEmpty();
    }

    @Test
    void aDeleteThroughAnotherWorkerWaitsForTheUploadRunningHereAndTheObjectStaysDeleted() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            uploading.countDown();
            await(release);
        });
        rig.writeBack("d/x", new PatternSource(5000, 1), "1");
        await(uploading);

        DeleteResult d = rig.catalog.files().delete(PersistRig.path("d/x"));
        for (Extent e : d.extents()) {
            rig.logStore.release(PersistRig.location(e));
        }
        other.onDeleted(d.tombstone());
        waitUntil(() -> other.heldBack() > 0);
        Thread.sleep(300); // several of the other worker's retries
        assertThat(ufs.ops("d/x")).as("nothing of d/x ran while its upload is in flight").isEmpty();

        release.countDown();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(other.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("d/x")).extracting(FaultyUfs.Op::kind).containsExactly("put", "delete");
        assertThat(ufs.head("d/x")).as("the acknowledged delete holds in the object store").isEmpty();
        assertThat(rig.catalog.files().tombstone(PersistRig.path("d/x"))).isEmpty();
        assertThat(ufs.maxConcurrentPerKey()).isEqualTo(1);
    }

    @Test
    void aNewerVersionUploadedByAnotherWorkerLandsAfterTheOlderUploadRunningHere() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforePut(k -> {
            if (puts.incrementAndGet() == 1) {
                uploading.countDown();
                await(release);
            }
        });
        rig.writeBack("u/x", new PatternSource(5000, 1), "1");
        await(uploading);

        FileVersion v2 = rig.writeBack("u/x", new PatternSource(7000, 2), "2", false);
        other.onCommitted(v2, rig.catalog.files().layout(PersistRig.path("u/x")).orElseThrow().extents(), Optional.empty());
        waitUntil(() -> other.heldBack() > 0);
        Thread.sleep(300);
        assertThat(ufs.ops("u/x")).as("the newer upload waits for the older one").isEmpty();

        release.countDown();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(other.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("u/x")).extracting(FaultyUfs.Op::version).containsExactly("1", "2");
        try (InputStream in = ufs.get("u/x")) {
            assertThat(PatternSource.sha256(in)).as("the object store holds the newest version")
                    .isEqualTo(new PatternSource(7000, 2).sha256());
        }
        assertThat(rig.catalog.files().layout(PersistRig.path("u/x")).orElseThrow().file().persistState())
                .isEqualTo(PersistState.PERSISTED);
    }

    @Test
    void aWriteThroughPutOnOneWorkerWaitsForADeleteRunningOnAnotherAndItsObjectStays() throws Exception {
        rig.writeBack("t/x", new PatternSource(3000, 1), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ufs.beforeDelete(k -> {
            deleting.countDown();
            await(release);
        });
        DeleteResult d = rig.catalog.files().delete(PersistRig.path("t/x"));
        for (Extent e : d.extents()) {
            rig.logStore.release(PersistRig.location(e));
        }
        other.onDeleted(d.tombstone());
        await(deleting);

        // A WRITE_THROUGH PUT of the path on this worker: the object store first, then the commit,
        // in persist order (what the worker's write-through path does).
        PatternSource body = new PatternSource(4000, 2);
        java.util.concurrent.CompletableFuture<FileVersion> put = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> rig.persister.exclusive(PersistRig.path("t/x"), () -> {
                    try (InputStream in = body.open(0, body.length())) {
                        ufs.put("t/x", io.wcache.persister.ufs.UploadSource.ofBytes(in.readAllBytes()),
                                new io.wcache.persister.ufs.PutOptions("application/octet-stream",
                                        java.util.Map.of("v", "2")));
                        return rig.write("t/x", body, "2", io.wcache.core.policy.WritePolicy.WRITE_THROUGH, true);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
        Thread.sleep(500);
        assertThat(put).as("the write waits for the other worker's delete").isNotDone();
        assertThat(rig.persister.heldBack()).isPositive();
        assertThat(ufs.ops("t/x")).extracting(FaultyUfs.Op::kind).containsExactly("put");

        release.countDown();
        put.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(other.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("t/x")).extracting(FaultyUfs.Op::kind).containsExactly("put", "delete", "put");
        try (InputStream in = ufs.get("t/x")) {
            assertThat(PatternSource.sha256(in)).as("the acknowledged write-through object is in the object store")
                    .isEqualTo(body.sha256());
        }
        assertThat(rig.catalog.persistQueue().pendingTasks(10)).isEmpty();
    }

    @Test
    void aDeleteOnAnotherWorkerWaitsForAWriteThroughPutRunningHere() throws Exception {
        rig.writeBack("w/x", new PatternSource(3000, 1), "1");
        assertThat(rig.persister.awaitDrained(Duration.ofSeconds(20))).isTrue();
        CountDownLatch inPut = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PatternSource body = new PatternSource(4000, 2);
        java.util.concurrent.CompletableFuture<FileVersion> put = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> rig.persister.exclusive(PersistRig.path("w/x"), () -> {
                    inPut.countDown();
                    await(release);
                    try (InputStream in = body.open(0, body.length())) {
                        ufs.put("w/x", io.wcache.persister.ufs.UploadSource.ofBytes(in.readAllBytes()),
                                new io.wcache.persister.ufs.PutOptions("application/octet-stream",
                                        java.util.Map.of("v", "2")));
                        return rig.write("w/x", body, "2", io.wcache.core.policy.WritePolicy.WRITE_THROUGH, true);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
        await(inPut);
        // A delete through the other worker while the write-through PUT is under way: it is
        // acknowledged first, the PUT commits after it, so the PUT's object is the path's state.
        DeleteResult d = rig.catalog.files().delete(PersistRig.path("w/x"));
        other.onDeleted(d.tombstone());
        Thread.sleep(500);
        assertThat(ufs.ops("w/x")).as("the delete waits for the write-through PUT").hasSize(1);
        assertThat(other.heldBack()).isPositive();
        release.countDown();
        put.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(other.awaitDrained(Duration.ofSeconds(20))).isTrue();
        assertThat(ufs.ops("w/x")).extracting(FaultyUfs.Op::kind).as("the delete was superseded by the later commit")
                .containsExactly("put", "put");
        try (InputStream in = ufs.get("w/x")) {
            assertThat(PatternSource.sha256(in)).isEqualTo(body.sha256());
        }
    }
}
