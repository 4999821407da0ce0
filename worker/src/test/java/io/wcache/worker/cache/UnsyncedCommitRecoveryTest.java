package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.pipeline.Index;
import io.wcache.pipeline.Journal;
import io.wcache.pipeline.PipelineConfig;
import io.wcache.pipeline.PipelineOp;
import io.wcache.pipeline.PipelineSession;
import io.wcache.pipeline.SegmentWriter;
import io.wcache.pipeline.WritePipeline;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.PendingSync;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.recovery.RestartRecovery;
import io.wcache.worker.space.CatalogExtentRelocator;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write pipeline overlaps the log sync of a write with its Catalog commit, and acknowledges
 * once both are durable. These tests crash a worker between the two durability points, in both
 * orders, and restart it on the same directories. The crashed run is the worker's real log store,
 * embedded engine, Catalog and pipeline, behind a journal and an index that hold the chosen
 * durability point and then refuse everything (the process is "dead"); a power loss is then
 * simulated by cutting the segment file where the unsynced record began (the bytes the sync never
 * made durable), as a SIGKILL cannot: the page cache would keep them. The restart is a plain
 * worker ({@link TestWorkers#start}), whose restart recovery must roll a path whose new version's
 * bytes did not survive back to the version it superseded, lose no acknowledged write, and leave no
 * undo behind.
 */
class UnsyncedCommitRecoveryTest {

    @TempDir
    Path root;

    Worker worker;
    CrashRig rig;

    @AfterEach
    void stop() {
        if (rig != null) {
            rig.close();
        }
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void commitInTheCatalogButLogSyncLostRollsBackToTheSupersededVersionAndKeepsAcknowledgedWrites() throws Exception {
        byte[] v1 = bytes(10 * 1024, 1);
        byte[] other = bytes(3000, 2);
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        f.write("/m/obj", v1);
        f.write("/m/acked", bytes(2000, 3));
        worker.close();
        worker = null;

        rig = new CrashRig(root);
        // Acknowledged in the crashed run, its undo never dropped (the confirmation did not land):
        // its bytes were synced, so it must survive as it is.
        rig.dropConfirmations.set(true);
        byte[] acked = bytes(4000, 4);
        rig.holdSync = new CountDownLatch(1);
        CompletableFuture<CommitResult> ack = rig.write("/m/acked", acked);
        rig.awaitCommitted("/m/acked", 2);
        rig.holdSync.countDown();
        ack.get(20, TimeUnit.SECONDS);
        rig.holdSync = null;
        rig.write("/m/other", other).get(20, TimeUnit.SECONDS);
        // The next sync is held: the overwrite and a first write of a new path commit beside it.
        rig.markCut = true;
        rig.holdSync = new CountDownLatch(1);
        // Published together, so that the journal appends both before it syncs.
        List<CompletableFuture<Object>> unacked = rig.writeTogether(List.of("/m/obj", "/m/new"),
                List.of(bytes(10 * 1024, 5), bytes(500, 6)));
        rig.awaitCommitted("/m/obj", 2);
        rig.awaitCommitted("/m/new", 1);
        assertThat(rig.catalog.files().pendingSyncs()).extracting(PendingSync::path)
                .contains("/m/acked", "/m/obj", "/m/new");
        assertThat(unacked).noneMatch(CompletableFuture::isDone);
        Location cut = rig.firstHeldAppend;
        rig.crash();
        for (CompletableFuture<Object> u : unacked) {
            assertThatThrownBy(() -> u.get(20, TimeUnit.SECONDS)).as("never acknowledged").cause()
                    .isInstanceOf(WcacheException.class);
        }
        rig.close();
        rig = null;
        // Power loss: the held sync never happened, so its records never reached the disk.
        cutSegmentAt(cut);

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().unsyncedRolledBack()).isEqualTo(2);
        assertThat(worker.recovery().versionsDamaged()).isZero();
        assertThat(f.read("/m/obj")).as("the superseded version is back").isEqualTo(v1);
        assertThat(worker.catalog().files().lookup(p("/m/new"))).as("the unacknowledged first write is gone").isEmpty();
        assertThat(f.read("/m/acked")).as("acknowledged before the crash").isEqualTo(acked);
        assertThat(f.read("/m/other")).isEqualTo(other);
        assertThat(worker.catalog().files().pendingSyncs()).isEmpty();
        // The restored version's upload was restored with it: the UFS ends with what was acknowledged.
        f.drain();
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("obj"))).isEqualTo(v1);
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("acked"))).isEqualTo(acked);
        assertThat(Files.exists(TestWorkers.ufsDir(root).resolve("new"))).isFalse();
        // And the path takes new writes.
        byte[] v3 = bytes(7000, 7);
        f.write("/m/obj", v3);
        assertThat(f.read("/m/obj")).isEqualTo(v3);
    }

    @Test
    void smallWritesAcknowledgedBeforeTheirLogSyncSurviveItsLossFromTheCopiesTheirCommitsCarried() throws Exception {
        byte[] v1 = bytes(10 * 1024, 1);
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        f.write("/m/obj", v1);
        worker.close();
        worker = null;

        rig = new CrashRig(root, 64 << 10);
        // Every log sync is held: the small writes are acknowledged on their Catalog commits alone.
        rig.markCut = true;
        rig.holdSync = new CountDownLatch(1);
        byte[] v2 = bytes(10 * 1024, 5);
        byte[] first = bytes(500, 6);
        rig.write("/m/obj", v2).get(20, TimeUnit.SECONDS);
        rig.write("/m/new", first).get(20, TimeUnit.SECONDS);
        assertThat(rig.catalog.files().pendingSyncs()).extracting(PendingSync::path).containsExactlyInAnyOrder("/m/obj",
                "/m/new");
        assertThat(rig.catalog.files().pendingSyncs()).allMatch(ps -> ps.copy().isPresent());
        Location cut = rig.firstHeldAppend;
        rig.crash();
        rig.close();
        rig = null;
        // Power loss: the held sync never happened, so the records of both writes never reached the disk.
        cutSegmentAt(cut);

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().unsyncedRewritten()).isEqualTo(2);
        assertThat(worker.recovery().unsyncedRolledBack()).isZero();
        assertThat(worker.recovery().versionsDamaged()).isZero();
        assertThat(f.read("/m/obj")).as("acknowledged: written again from its copy").isEqualTo(v2);
        assertThat(f.read("/m/new")).as("acknowledged first write of a path").isEqualTo(first);
        assertThat(worker.catalog().files().pendingSyncs()).isEmpty();
        f.drain();
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("obj"))).isEqualTo(v2);
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("new"))).isEqualTo(first);
        // A second restart finds the rewritten records where the Catalog says.
        worker.close();
        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).isZero();
        assertThat(f.read("/m/obj")).isEqualTo(v2);
        assertThat(f.read("/m/new")).isEqualTo(first);
    }

    @Test
    void logSyncedButCatalogCommitLostLeavesThePreviousVersionAndReclaimsTheRecords() throws Exception {
        byte[] v1 = bytes(10 * 1024, 1);
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        f.write("/m/obj", v1);
        worker.close();
        worker = null;

        rig = new CrashRig(root);
        byte[] acked = bytes(4000, 4);
        rig.write("/m/acked", acked).get(20, TimeUnit.SECONDS);
        // The next Catalog transaction holding a commit is held; the log sync completes beside it.
        rig.holdCommit = new CountDownLatch(1);
        CompletableFuture<CommitResult> unacked = rig.write("/m/obj", bytes(10 * 1024, 5));
        assertThat(rig.commitHeld.await(20, TimeUnit.SECONDS)).isTrue();
        rig.awaitSyncedAfterHeldAppend();
        assertThat(unacked).isNotDone();
        rig.crash();
        assertThatThrownBy(() -> unacked.get(20, TimeUnit.SECONDS)).cause().isInstanceOf(WcacheException.class);
        rig.close();
        rig = null;

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().unsyncedRolledBack()).isZero();
        assertThat(worker.recovery().versionsDamaged()).isZero();
        assertThat(f.read("/m/obj")).isEqualTo(v1);
        assertThat(f.read("/m/acked")).isEqualTo(acked);
        assertThat(worker.catalog().files().lookup(p("/m/obj")).orElseThrow().size()).isEqualTo(v1.length);
        assertThat(worker.catalog().files().pendingSyncs()).isEmpty();
    }

    /** The segment holding {@code at} loses everything from its record on (a sync that never happened). */
    private void cutSegmentAt(Location at) throws Exception {
        try (FileChannel ch = FileChannel.open(segmentFile(at.segmentId()), StandardOpenOption.WRITE)) {
            ch.truncate(at.position());
        }
    }

    private Path segmentFile(long segmentId) throws Exception {
        try (Stream<Path> files = Files.walk(root.resolve("cache"))) {
            return files.filter(x -> x.getFileName().toString().equals(Segment.fileName(segmentId))).findFirst()
                    .orElseThrow();
        }
    }

    /**
     * The worker's write path on its directories (the engine, the Catalog, the log store with restart
     * recovery, the pipeline) behind a journal and an index that can hold a sync or a commit and,
     * once crashed, refuse every further sync, append and Catalog transaction.
     */
    static final class CrashRig implements AutoCloseable {
        final MetadataEngine engine;
        final Catalog catalog;
        final LogStore store;
        final WritePipeline pipeline;
        final AtomicBoolean crashed = new AtomicBoolean();
        final AtomicBoolean dropConfirmations = new AtomicBoolean();
        volatile CountDownLatch holdSync;
        volatile CountDownLatch holdCommit;
        final CountDownLatch commitHeld = new CountDownLatch(1);
        volatile boolean markCut;
        volatile Location firstHeldAppend;
        volatile Location lastAppend;
        volatile boolean syncedAfterLastAppend;
        private boolean closed;

        /** A rig whose pipeline waits for the log sync of every write (no commit carries its body). */
        CrashRig(Path root) {
            this(root, 0);
        }

        CrashRig(Path root, int copyMaxBytes) {
            engine = MetadataEngine.open("embedded:" + root.resolve("meta"));
            catalog = Catalog.open(engine.recordDatabase(), Worker.CATALOG_NAME);
            store = LogStore.open(LogStoreConfig.of(root.resolve("cache"), 256L << 20).withSegmentSize(4L << 20),
                    new CatalogExtentRelocator(() -> catalog, "worker-1"));
            RestartRecovery.run(catalog, store, "worker-1");
            Journal real = Journal.of(store);
            Journal journal = new Journal() {
                @Override
                public PinnedReservation reservePinned(long bytes) {
                    return real.reservePinned(bytes);
                }

                @Override
                public List<Location> append(List<Chunk> chunks) {
                    refuseIfCrashed();
                    List<Location> at = real.append(chunks);
                    if (markCut && firstHeldAppend == null) {
                        firstHeldAppend = at.get(0);
                    }
                    if (holdCommit != null) {
                        syncedAfterLastAppend = false;
                        lastAppend = at.get(at.size() - 1);
                    }
                    return at;
                }

                @Override
                public void sync() {
                    CountDownLatch gate = holdSync;
                    if (gate != null) {
                        await(gate);
                    }
                    refuseIfCrashed();
                    real.sync();
                    syncedAfterLastAppend = true;
                }

                @Override
                public CompletableFuture<Void> syncAsync() {
                    // On another thread, as the log store's: a held background sync holds no stage.
                    Journal self = this;
                    return CompletableFuture.runAsync(self::sync);
                }

                @Override
                public void release(Location location) {
                    real.release(location);
                }

                @Override
                public void published(Location location) {
                    real.published(location);
                }
            };
            Index realIndex = Index.of(catalog);
            Index index = new Index() {
                @Override
                public long reserveFileId(BeginRequest request) {
                    return realIndex.reserveFileId(request);
                }

                @Override
                public List<OpOutcome> apply(List<CatalogOp> ops) {
                    CountDownLatch gate = holdCommit;
                    if (gate != null && ops.stream().anyMatch(o -> o instanceof CatalogOp.Commit)) {
                        commitHeld.countDown();
                        await(gate);
                    }
                    refuseIfCrashed();
                    if (!dropConfirmations.get()) {
                        return realIndex.apply(ops);
                    }
                    // The confirmations are lost (as in a crash before the batch carrying them).
                    List<CatalogOp> kept = ops.stream().filter(o -> !(o instanceof CatalogOp.ConfirmSynced)).toList();
                    List<OpOutcome> out = new ArrayList<>(kept.isEmpty() ? List.of() : realIndex.apply(kept));
                    while (out.size() < ops.size()) {
                        out.add(new OpOutcome.Success(null));
                    }
                    return out;
                }
            };
            pipeline = WritePipeline.start(new PipelineConfig(1024, "worker-1", copyMaxBytes), journal, index);
        }

        private void refuseIfCrashed() {
            if (crashed.get()) {
                throw new WcacheException.Unavailable("crash", "the process is dead", null);
            }
        }

        private static void await(CountDownLatch gate) {
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("held stage never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        CompletableFuture<CommitResult> write(String path, byte[] body) {
            SegmentWriter w = pipeline.openWriter(BeginRequest.of(p(path), WritePolicy.WRITE_BACK, "worker-1"));
            ByteBuffer b = ByteBuffer.wrap(body);
            return w.commit(b, new CommitRequest(body.length, "etag-" + body.length, WritePipeline.crc32c(b)));
        }

        /** Small writes of several paths in consecutive ring slots; the futures of their commits. */
        List<CompletableFuture<Object>> writeTogether(List<String> paths, List<byte[]> bodies) {
            List<PipelineOp> ops = new ArrayList<>();
            for (int i = 0; i < paths.size(); i++) {
                PipelineSession s = pipeline.newSession(BeginRequest.of(p(paths.get(i)), WritePolicy.WRITE_BACK,
                        "worker-1"));
                ByteBuffer b = ByteBuffer.wrap(bodies.get(i));
                ops.add(new PipelineOp.Begin(s));
                ops.add(new PipelineOp.Append(s, 0, b, store.reservePinned(b.remaining()), WritePipeline.crc32c(b)));
                ops.add(new PipelineOp.Commit(s, new CommitRequest(b.remaining(), "etag-" + i, WritePipeline.crc32c(b))));
            }
            List<CompletableFuture<Object>> all = pipeline.publish(ops);
            List<CompletableFuture<Object>> commits = new ArrayList<>();
            for (int i = 2; i < all.size(); i += 3) {
                commits.add(all.get(i));
            }
            return commits;
        }

        void awaitCommitted(String path, int minGeneration) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (catalog.files().lookup(p(path)).map(v -> v.generation() < minGeneration
                    || catalog.files().pendingSyncs().stream().noneMatch(ps -> ps.fileId() == v.fileId())).orElse(true)) {
                assertThat(System.nanoTime()).as(path + " committed beside its held sync").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }

        void awaitSyncedAfterHeldAppend() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lastAppend == null || !syncedAfterLastAppend) {
                assertThat(System.nanoTime()).as("the held commit's records synced").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }

        /** The process dies: every later sync, append and Catalog transaction is refused; held stages go on to fail. */
        void crash() {
            crashed.set(true);
            CountDownLatch s = holdSync;
            if (s != null) {
                s.countDown();
            }
            CountDownLatch c = holdCommit;
            if (c != null) {
                c.countDown();
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            crash();
            pipeline.close();
            store.close();
            engine.close();
        }
    }
}
