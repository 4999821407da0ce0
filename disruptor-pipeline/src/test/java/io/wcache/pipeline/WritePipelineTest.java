package io.wcache.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.PendingSync;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritePipelineTest {

    @TempDir
    Path dir;

    MetadataEngine engine;
    Catalog catalog;
    LogStore store;
    WritePipeline pipeline;
    final AtomicBoolean failSync = new AtomicBoolean();
    final AtomicInteger syncs = new AtomicInteger();
    volatile CountDownLatch syncGate;
    /** Counted down when a sync starts, before it waits on {@link #syncGate}. */
    final CountDownLatch syncStarted = new CountDownLatch(1);
    /** What the stages did, in order: "sync_started", "sync_done", "catalog", "confirm". */
    final List<String> order = new CopyOnWriteArrayList<>();
    /** Counted down when a confirmation-only transaction starts on a pipeline thread. */
    final CountDownLatch confirmStarted = new CountDownLatch(1);
    /** How long a confirmation-only transaction on a pipeline thread is held before it runs. */
    volatile long confirmDelayMillis;
    /** Syncs the journal was told to start without anyone waiting for them. */
    final AtomicInteger startedSyncs = new AtomicInteger();

    @BeforeEach
    void open() {
        engine = MetadataEngine.open("embedded:" + dir.resolve("meta"));
        catalog = Catalog.open(engine.recordDatabase(), "t");
        store = LogStore.open(LogStoreConfig.of(dir.resolve("cache"), 64L << 20), ExtentRelocator.NONE);
        store.restore(List.of());
    }

    /**
     * The pipeline's {@link PipelineConfig#copyMaxBytes}: 0 (every write waits for its log sync) for
     * the tests of that route; the tests of commits that carry their bodies set it.
     */
    int copyMax;
    /** Background syncs (of copy-carrying commits' records) never complete. */
    volatile boolean holdBackgroundSyncs;

    private void start(int ringSize) {
        Journal realJournal = Journal.of(store);
        Journal faulty = new Journal() {
            @Override
            public io.wcache.logstore.space.PinnedReservation reservePinned(long bytes) {
                return realJournal.reservePinned(bytes);
            }

            @Override
            public List<io.wcache.logstore.Location> append(List<io.wcache.logstore.Chunk> chunks) {
                return realJournal.append(chunks);
            }

            @Override
            public void sync() {
                order.add("sync_started");
                syncStarted.countDown();
                CountDownLatch gate = syncGate;
                if (gate != null) {
                    try {
                        gate.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                syncs.incrementAndGet();
                if (failSync.get()) {
                    throw new WcacheException.Unavailable("disk", "injected fdatasync failure", null);
                }
                realJournal.sync();
                order.add("sync_done");
            }

            @Override
            public void startSync() {
                startedSyncs.incrementAndGet();
                realJournal.startSync();
            }

            @Override
            public CompletableFuture<Void> syncAsync() {
                if (holdBackgroundSyncs) {
                    return new CompletableFuture<>(); // never done
                }
                // On another thread, as the log store's: a held sync does not hold the journal stage.
                Journal self = this;
                return CompletableFuture.runAsync(self::sync);
            }

            @Override
            public void release(io.wcache.logstore.Location location) {
                realJournal.release(location);
            }

            @Override
            public void published(io.wcache.logstore.Location location) {
                realJournal.published(location);
            }
        };
        Index real = Index.of(catalog);
        Index recording = new Index() {
            @Override
            public long reserveFileId(BeginRequest request) {
                return real.reserveFileId(request);
            }

            @Override
            public List<io.wcache.schema.catalog.OpOutcome> apply(List<io.wcache.schema.catalog.CatalogOp> ops) {
                // A transaction that only drops undos of confirmed syncs (an idle stage's) is "confirm".
                boolean confirm = ops.stream().allMatch(o -> o instanceof io.wcache.schema.catalog.CatalogOp.ConfirmSynced);
                order.add(confirm ? "confirm" : "catalog");
                if (confirm && Thread.currentThread().getName().startsWith("wcache-pipeline-")) {
                    confirmStarted.countDown();
                    if (confirmDelayMillis > 0) {
                        try {
                            Thread.sleep(confirmDelayMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
                return real.apply(ops);
            }
        };
        pipeline = WritePipeline.start(new PipelineConfig(ringSize, "w1", copyMax), faulty, recording);
    }

    @AfterEach
    void close() {
        if (syncGate != null) {
            syncGate.countDown();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        store.close();
        engine.close();
    }

    private static NamespacePath p(String s) {
        return NamespacePath.of(s);
    }

    private List<CompletableFuture<Object>> smallWrite(PipelineSession s, byte[] body) {
        ByteBuffer b = ByteBuffer.wrap(body);
        PinnedReservation r = store.reservePinned(body.length);
        return pipeline.publish(List.of(new PipelineOp.Begin(s),
                new PipelineOp.Append(s, 0, b, r, WritePipeline.crc32c(b)),
                new PipelineOp.Commit(s, new CommitRequest(body.length, "", 0))));
    }

    @Test
    void smallWriteIsOneSyncAndReadsBackFromTheCommittedLayout() throws Exception {
        start(64);
        byte[] body = "hello pipeline".getBytes(StandardCharsets.UTF_8);
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/a"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(s, body);
        CommitResult r = (CommitResult) f.get(2).get(10, TimeUnit.SECONDS);

        assertThat(syncs.get()).isEqualTo(1);
        assertThat(r.committed().fileId()).isEqualTo(s.fileId());
        FileLayout layout = catalog.files().layout(p("/m/a")).orElseThrow();
        assertThat(layout.extents()).hasSize(1);
        Extent e = layout.extents().get(0);
        ByteBuffer read = store.read(ExtentCodec.toLocation(e));
        assertThat(StandardCharsets.UTF_8.decode(read).toString()).isEqualTo("hello pipeline");
        assertThat(s.extents()).containsExactly(e);
    }

    @Test
    void theLogRecordCarriesTheCrcTakenWhenTheBytesWerePublishedSoBytesChangedSinceFailEveryRead() throws Exception {
        start(64);
        byte[] body = "bytes as handed over".getBytes(StandardCharsets.UTF_8);
        long crcWhenPublished = WritePipeline.crc32c(ByteBuffer.wrap(body));
        // A writer that changed its buffer after the CRC was taken (a buffer lent again too early).
        byte[] changed = body.clone();
        changed[3] ^= 1;
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/changed"), WritePolicy.WRITE_BACK, "w1"));
        ByteBuffer b = ByteBuffer.wrap(changed);
        List<CompletableFuture<Object>> f = pipeline.publish(List.of(new PipelineOp.Begin(s),
                new PipelineOp.Append(s, 0, b, store.reservePinned(body.length), crcWhenPublished),
                new PipelineOp.Commit(s, new CommitRequest(body.length, "", 0))));
        f.get(2).get(10, TimeUnit.SECONDS);
        Extent e = catalog.files().layout(p("/m/changed")).orElseThrow().extents().get(0);
        // Before, the log took the record's CRC from the bytes it wrote and served the changed bytes.
        assertThatThrownBy(() -> store.read(ExtentCodec.toLocation(e))).isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("CRC32C mismatch");

        PipelineSession ok = pipeline.newSession(BeginRequest.of(p("/m/same"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(ok, body).get(2).get(10, TimeUnit.SECONDS);
        Extent same = catalog.files().layout(p("/m/same")).orElseThrow().extents().get(0);
        assertThat(StandardCharsets.UTF_8.decode(store.read(ExtentCodec.toLocation(same))).toString())
                .isEqualTo("bytes as handed over");
    }

    @Test
    void failedSyncFailsTheBatchAndNothingBecomesVisible() throws Exception {
        start(64);
        failSync.set(true);
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/x"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(s, new byte[100]);
        assertThatThrownBy(() -> f.get(2).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");
        assertThat(catalog.files().lookup(p("/m/x"))).isEmpty();
        // The refused bytes do not stay pinned once the writer aborts, as a write session does after a
        // failed commit (CachedWriteSession.failAndAbort). Either the commit went in and was rolled
        // back (its records released then, the session gone: the abort fails) or the failure reached
        // the index stage between its append and its commit: the append's extent was recorded in the
        // open session, the commit refused, and the abort hands the extent back for release.
        io.wcache.schema.catalog.AbortResult aborted = pipeline.abort(s).handle((r, e) -> r).get(10, TimeUnit.SECONDS);
        if (aborted != null) {
            aborted.extents().forEach(e -> store.release(ExtentCodec.toLocation(e)));
        }
        assertThat(store.stats().pinnedBytes()).isZero();

        failSync.set(false);
        PipelineSession s2 = pipeline.newSession(BeginRequest.of(p("/m/x"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(s2, new byte[50]).get(2).get(10, TimeUnit.SECONDS);
        assertThat(catalog.files().lookup(p("/m/x")).orElseThrow().size()).isEqualTo(50);
    }

    @Test
    void catalogCommitRunsBesideTheLogSyncAndTheAckWaitsForBoth() throws Exception {
        start(64);
        PipelineSession first = settledFirstVersion("/m/o");
        order.clear();
        syncGate = new CountDownLatch(1);
        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        pipeline.subscribe(e -> {
            order.add("event");
            events.add(e);
        });
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/o"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(s, new byte[1000]);
        f.get(2).whenComplete((r, e) -> order.add("ack"));

        // Held inside the sync: the Catalog commit goes in beside it, keeping the superseded version
        // as its undo, but nothing is acknowledged or announced before the sync returns.
        assertThat(syncStarted.await(10, TimeUnit.SECONDS)).isTrue();
        awaitCurrent("/m/o", s.fileId());
        List<PendingSync> pending = catalog.files().pendingSyncs();
        assertThat(pending).hasSize(1);
        assertThat(pending.get(0).fileId()).isEqualTo(s.fileId());
        assertThat(pending.get(0).superseded().orElseThrow().fileId()).isEqualTo(first.fileId());
        assertThat(pending.get(0).supersededExtents()).hasSize(1);
        assertThat(f).noneMatch(CompletableFuture::isDone);
        assertThat(events).isEmpty();

        syncGate.countDown();
        CommitResult r = (CommitResult) f.get(2).get(10, TimeUnit.SECONDS);
        assertThat(r.committed().size()).isEqualTo(1000);
        assertThat(events).hasSize(1);
        assertThat(syncs.get()).isEqualTo(2);
        assertThat(order).containsSubsequence("sync_started", "catalog", "sync_done", "event", "ack");
        // The confirmed sync drops the undo (here with no later batch to carry it: the idle stage does).
        awaitNoPendingSyncs();
    }

    @Test
    void failedSyncAfterTheCommitWentInRollsThePathBackToTheSupersededVersion() throws Exception {
        start(64);
        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        PipelineSession first = settledFirstVersion("/m/r");
        long generation = catalog.files().lookup(p("/m/r")).orElseThrow().generation();
        pipeline.subscribe(events::add);

        syncGate = new CountDownLatch(1);
        PipelineSession second = pipeline.newSession(BeginRequest.of(p("/m/r"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(second, new byte[700]);
        // The commit is in the Catalog while the sync is held; then the sync fails.
        awaitCurrent("/m/r", second.fileId());
        failSync.set(true);
        syncGate.countDown();
        assertThatThrownBy(() -> f.get(2).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");

        // Rolled back to the acknowledged version, whole, under a newer generation; its bytes kept,
        // the failed write's released; no undo left; subscribers heard nothing.
        FileLayout now = catalog.files().layout(p("/m/r")).orElseThrow();
        assertThat(now.file().fileId()).isEqualTo(first.fileId());
        assertThat(now.file().size()).isEqualTo(300);
        assertThat(now.file().generation()).isGreaterThan(generation + 1);
        assertThat(now.extents()).hasSize(1);
        assertThat(store.read(ExtentCodec.toLocation(now.extents().get(0))).remaining()).isEqualTo(300);
        assertThat(catalog.files().extents(second.fileId())).isEmpty();
        assertThat(catalog.files().pendingSyncs()).isEmpty();
        assertThat(store.stats().pinnedBytes()).isEqualTo(300);
        assertThat(events).isEmpty();
    }

    @Test
    void aSmallWriteIsAcknowledgedBeforeItsLogSyncWithItsBodyInTheCatalogUntilTheSyncIsDone() throws Exception {
        copyMax = 64 << 10;
        start(64);
        PipelineSession first = settledFirstVersion("/m/k");
        syncGate = new CountDownLatch(1);
        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        pipeline.subscribe(events::add);
        byte[] body = new byte[5000];
        new java.util.Random(7).nextBytes(body);
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/k"), WritePolicy.WRITE_BACK, "w1"));

        // Acknowledged and announced with no log sync done: the background sync is held.
        CommitResult r = (CommitResult) smallWrite(s, body).get(2).get(10, TimeUnit.SECONDS);
        assertThat(r.committed().fileId()).isEqualTo(s.fileId());
        assertThat(events).hasSize(1);
        assertThat(syncStarted.await(10, TimeUnit.SECONDS)).as("a background sync started").isTrue();
        List<PendingSync> pending = catalog.files().pendingSyncs();
        assertThat(pending).hasSize(1);
        assertThat(pending.get(0).fileId()).isEqualTo(s.fileId());
        assertThat(pending.get(0).copy()).hasValueSatisfying(c -> assertThat(c).isEqualTo(body));
        // Never rolled back: no undo of the superseded version is kept beside the copy.
        assertThat(pending.get(0).superseded()).isEmpty();
        assertThat(pending.get(0).supersededExtents()).isEmpty();

        // Once the sync is done, the copy goes (the idle stage carries the confirmation).
        syncGate.countDown();
        awaitNoPendingSyncs();
        FileLayout layout = catalog.files().layout(p("/m/k")).orElseThrow();
        ByteBuffer read = store.read(ExtentCodec.toLocation(layout.extents().get(0)));
        byte[] back = new byte[read.remaining()];
        read.get(back);
        assertThat(back).isEqualTo(body);
    }

    @Test
    void aFailedLogSyncNeitherFailsNorRollsBackAWriteWhoseCommitCarriedItsBody() throws Exception {
        copyMax = 64 << 10;
        start(64);
        PipelineSession first = settledFirstVersion("/m/f");
        failSync.set(true);
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/f"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(s, new byte[700]).get(2).get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (syncs.get() < 2) {
            assertThat(System.nanoTime()).as("the background sync ran").isLessThan(deadline);
            Thread.sleep(5);
        }
        Thread.sleep(100);
        // The version stays, and so does its copy: restart recovery writes its records again from it.
        assertThat(catalog.files().lookup(p("/m/f")).orElseThrow().fileId()).isEqualTo(s.fileId());
        List<PendingSync> pending = catalog.files().pendingSyncs();
        assertThat(pending).hasSize(1);
        assertThat(pending.get(0).copy()).hasValueSatisfying(c -> assertThat(c).hasSize(700));
    }

    @Test
    void aWriteLargerThanTheCopyLimitStillWaitsForItsLogSync() throws Exception {
        copyMax = 512;
        start(64);
        syncGate = new CountDownLatch(1);
        PipelineSession big = pipeline.newSession(BeginRequest.of(p("/m/big"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(big, new byte[513]);
        assertThat(syncStarted.await(10, TimeUnit.SECONDS)).isTrue();
        awaitCurrent("/m/big", big.fileId());
        assertThat(f.get(2)).isNotDone();
        assertThat(catalog.files().pendingSyncs()).singleElement().satisfies(p -> assertThat(p.copy()).isEmpty());
        syncGate.countDown();
        f.get(2).get(10, TimeUnit.SECONDS);
        awaitNoPendingSyncs();

        // One within the limit does not wait (the gate is held again).
        syncGate = new CountDownLatch(1);
        PipelineSession small = pipeline.newSession(BeginRequest.of(p("/m/small"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(small, new byte[512]).get(2).get(10, TimeUnit.SECONDS);
        syncGate.countDown();
    }

    @Test
    void closeSyncsTheRecordsOfCopyCarryingCommitsAndDropsTheirCopies() throws Exception {
        copyMax = 64 << 10;
        holdBackgroundSyncs = true;
        start(64);
        for (int i = 0; i < 5; i++) {
            PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/c" + i), WritePolicy.WRITE_BACK, "w1"));
            smallWrite(s, new byte[100 + i]).get(2).get(10, TimeUnit.SECONDS);
        }
        Thread.sleep(100); // idle: the background sync starts (and is never done)
        assertThat(catalog.files().pendingSyncs()).hasSize(5);
        pipeline.close();
        assertThat(catalog.files().pendingSyncs()).as("copies left once close returned").isEmpty();
    }

    private void awaitCurrent(String path, long fileId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (catalog.files().lookup(p(path)).map(v -> v.fileId() != fileId).orElse(true)) {
            assertThat(System.nanoTime()).as("commit of " + fileId + " in the Catalog").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void closeReturnsOnlyAfterAnIdleStagesConfirmationReachedTheCatalog() throws Exception {
        // Found by the bit-flip property: a confirmation an idle stage was recording when the ring
        // drained failed against a closed Catalog, so after a clean stop an acknowledged version
        // still had its undo, and a later damaged record rolled it back to the older version.
        start(64);
        confirmDelayMillis = 500;
        // The sync is held until the commit is in the Catalog, so the commit keeps an undo that only
        // a confirmation drops. (Unheld, a sync that finished before the index stage applied the
        // commit left nothing to confirm, and no idle confirmation ever started.)
        syncGate = new CountDownLatch(1);
        PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/c"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(s, new byte[100]);
        awaitCurrent("/m/c", s.fileId());
        syncGate.countDown();
        f.get(2).get(10, TimeUnit.SECONDS);
        assertThat(confirmStarted.await(10, TimeUnit.SECONDS)).as("an idle confirmation started").isTrue();

        pipeline.close();

        assertThat(catalog.files().pendingSyncs()).as("undos left once close returned").isEmpty();
    }

    /** A first version of {@code path}, 300 bytes, acknowledged and with its sync confirmed (no undo left). */
    private PipelineSession settledFirstVersion(String path) throws Exception {
        PipelineSession first = pipeline.newSession(BeginRequest.of(p(path), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(first, new byte[300]).get(2).get(10, TimeUnit.SECONDS);
        awaitNoPendingSyncs();
        return first;
    }

    private void awaitNoPendingSyncs() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!catalog.files().pendingSyncs().isEmpty()) {
            assertThat(System.nanoTime()).as("undos of confirmed syncs dropped").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void failedSyncOfAnOverwriteLeavesTheAcknowledgedVersionIntact() throws Exception {
        start(64);
        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        PipelineSession first = pipeline.newSession(BeginRequest.of(p("/m/r"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(first, new byte[300]).get(2).get(10, TimeUnit.SECONDS);
        pipeline.subscribe(events::add);

        failSync.set(true);
        PipelineSession second = pipeline.newSession(BeginRequest.of(p("/m/r"), WritePolicy.WRITE_BACK, "w1"));
        List<CompletableFuture<Object>> f = smallWrite(second, new byte[700]);
        assertThatThrownBy(() -> f.get(2).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");

        // The write that failed was never acknowledged; the one that was stays current, whole.
        assertThat(catalog.files().lookup(p("/m/r")).orElseThrow().size()).isEqualTo(300);
        assertThat(catalog.files().lookup(p("/m/r")).orElseThrow().fileId()).isEqualTo(first.fileId());
        assertThat(store.stats().pinnedBytes()).isEqualTo(300);
        // Subscribers (the persister) hear of neither a commit nor a delete.
        assertThat(events).isEmpty();
    }

    @Test
    void catalogRefusalFailsOnlyTheAffectedRequests() throws Exception {
        start(64);
        // A path outside any mount directory is refused by the Catalog's Begin; the other write shares its batch.
        PipelineSession bad = pipeline.newSession(BeginRequest.of(p("/m"), WritePolicy.WRITE_BACK, "w1"));
        PipelineSession good = pipeline.newSession(BeginRequest.of(p("/m/ok"), WritePolicy.WRITE_BACK, "w1"));
        List<PipelineOp> ops = new ArrayList<>();
        for (PipelineSession s : List.of(bad, good)) {
            ByteBuffer b = ByteBuffer.wrap(new byte[10]);
            ops.add(new PipelineOp.Begin(s));
            ops.add(new PipelineOp.Append(s, 0, b, store.reservePinned(10), WritePipeline.crc32c(b)));
            ops.add(new PipelineOp.Commit(s, new CommitRequest(10, "", 0)));
        }
        List<CompletableFuture<Object>> f = pipeline.publish(ops);
        assertThatThrownBy(() -> f.get(2).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.InvalidPath.class);
        assertThat(((CommitResult) f.get(5).get(10, TimeUnit.SECONDS)).committed().path()).isEqualTo(p("/m/ok"));
        assertThat(catalog.files().lookup(p("/m/ok"))).isPresent();
        // Only the committed write's bytes are still pinned; the refused one's record was released.
        assertThat(store.stats().pinnedBytes()).isEqualTo(10);
    }

    @Test
    void fullRingMakesProducersWaitAndDropsNothing() throws Exception {
        start(8);
        syncGate = new CountDownLatch(1);
        int writers = 12;
        List<CompletableFuture<Object>> commits = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                PipelineSession s = pipeline.newSession(BeginRequest.of(p("/m/f" + n), WritePolicy.WRITE_BACK, "w1"));
                commits.add(smallWrite(s, new byte[] {(byte) n}).get(2));
            });
            t.start();
            threads.add(t);
        }
        // 12 writes of 3 slots each cannot all fit a ring of 8 while the first sync is held: two
        // are published, the other ten producers wait inside the ring's claim for free slots.
        assertThat(syncStarted.await(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(commits.size() == 2 && threads.stream().filter(WritePipelineTest::claimingRingSlots).count() == writers - 2)) {
            assertThat(System.nanoTime()).as("two writes published, ten producers waiting for slots").isLessThan(deadline);
            Thread.onSpinWait();
            Thread.yield();
        }
        assertThat(commits).allMatch(c -> !c.isDone());
        syncGate.countDown();
        for (Thread t : threads) {
            t.join(20_000);
        }
        assertThat(commits).hasSize(writers);
        for (CompletableFuture<Object> c : commits) {
            c.get(20, TimeUnit.SECONDS);
        }
        for (int i = 0; i < writers; i++) {
            assertThat(catalog.files().lookup(p("/m/f" + i))).isPresent();
        }
    }

    /** The thread is inside a Disruptor sequencer's {@code next}, waiting for ring slots to free. */
    private static boolean claimingRingSlots(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("com.lmax.disruptor.") && e.getClassName().endsWith("Sequencer")
                    && e.getMethodName().equals("next")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void subscribersSeeCommitsWithTheirExtentsAndSupersededVersions() throws Exception {
        start(64);
        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        pipeline.subscribe(events::add);
        pipeline.subscribe(e -> {
            throw new IllegalStateException("a failing subscriber does not block acknowledgements");
        });
        PipelineSession a = pipeline.newSession(BeginRequest.of(p("/m/k"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(a, new byte[7]).get(2).get(10, TimeUnit.SECONDS);
        PipelineSession b = pipeline.newSession(BeginRequest.of(p("/m/k"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(b, new byte[9]).get(2).get(10, TimeUnit.SECONDS);
        pipeline.delete(p("/m/k")).get(10, TimeUnit.SECONDS);

        assertThat(events).hasSize(3);
        ChangeEvent.CommittedEvent second = (ChangeEvent.CommittedEvent) events.get(1);
        assertThat(second.committed().fileId()).isEqualTo(b.fileId());
        assertThat(second.extents()).hasSize(1);
        assertThat(second.superseded().orElseThrow().fileId()).isEqualTo(a.fileId());
        assertThat(second.supersededExtents()).isEqualTo(a.extents());
        assertThat(second.persistQueued()).isTrue();
        ChangeEvent.DeletedEvent del = (ChangeEvent.DeletedEvent) events.get(2);
        assertThat(del.result().removed().orElseThrow().fileId()).isEqualTo(b.fileId());
    }

    @Test
    void aPartSessionTakesTheSameRouteAndIsRecordedAsItsUploadsPart() throws Exception {
        start(64);
        NamespacePath path = p("/m/mp");
        BeginRequest request = BeginRequest.of(path, WritePolicy.WRITE_BACK, "w1");
        String upload = catalog.multipart().createUpload(request).uploadId();
        PipelineSession part = pipeline.newPartSession(request, upload, 1);
        assertThat(part.isPart()).isTrue();
        byte[] body = "part one".getBytes(StandardCharsets.UTF_8);
        List<CompletableFuture<Object>> f = pipeline.publish(List.of(new PipelineOp.Begin(part),
                new PipelineOp.Append(part, 0, ByteBuffer.wrap(body), null, WritePipeline.crc32c(ByteBuffer.wrap(body)))));
        Extent written = (Extent) f.get(1).get(10, TimeUnit.SECONDS);
        // Recorded as it lands, under the part's own file id: a relocation of the record finds it in the Catalog.
        assertThat(catalog.files().extents(part.fileId())).containsExactly(written);
        assertThat(catalog.multipart().parts(upload)).isEmpty();
        int syncsBefore = syncs.get();
        assertThat(pipeline.commitPart(part, new CommitRequest(body.length, "e1", 0)).get(10, TimeUnit.SECONDS).released())
                .isEmpty();
        assertThat(syncs.get()).as("an empty commit needs no sync of its own").isEqualTo(syncsBefore);
        assertThat(catalog.multipart().parts(upload)).singleElement().satisfies(pi -> {
            assertThat(pi.fileId()).isEqualTo(part.fileId());
            assertThat(pi.size()).isEqualTo(body.length);
        });

        // A second copy of part 1 replaces the first, whose extents come back for release.
        PipelineSession again = pipeline.newPartSession(request, upload, 1);
        List<CompletableFuture<Object>> g = pipeline.publish(List.of(new PipelineOp.Begin(again),
                new PipelineOp.Append(again, 0, ByteBuffer.wrap(body), null, WritePipeline.crc32c(ByteBuffer.wrap(body))),
                new PipelineOp.Commit(again, new CommitRequest(body.length, "e2", 0))));
        assertThat(((io.wcache.schema.catalog.PartResult) g.get(2).get(10, TimeUnit.SECONDS)).released())
                .containsExactly(written);

        // A copy of a part of an upload aborted meanwhile fails, and its abort drops its extents.
        PipelineSession late = pipeline.newPartSession(request, upload, 2);
        pipeline.publish(List.of(new PipelineOp.Begin(late))).get(0).get(10, TimeUnit.SECONDS);
        catalog.multipart().abortUpload(upload);
        CompletableFuture<Object> refused = pipeline.publish(List.of(new PipelineOp.Append(late, 0, ByteBuffer.wrap(body),
                null, WritePipeline.crc32c(ByteBuffer.wrap(body))))).get(0);
        assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(WcacheException.NotFound.class);
        assertThat(pipeline.abortPart(late).get(10, TimeUnit.SECONDS).released()).isEmpty();
        assertThat(catalog.files().extents(late.fileId())).isEmpty();
    }

    @Test
    void aSegmentWriterPublishesASmallWriteAsOneBatchAndGivesItsPinnedReservationBack() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/w"), WritePolicy.WRITE_BACK, "w1"));
        byte[] body = "handed over".getBytes(StandardCharsets.UTF_8);
        CommitResult r = w.commit(ByteBuffer.wrap(body), new CommitRequest(body.length, "", 0)).get(10, TimeUnit.SECONDS);

        // BEGIN, APPEND and COMMIT built by the writer land in one batch: one sync, one Catalog transaction.
        assertThat(syncs.get()).isEqualTo(1);
        assertThat(order.stream().filter("catalog"::equals)).hasSize(1);
        assertThat(r.committed().fileId()).isEqualTo(w.fileId());
        Extent e = catalog.files().layout(p("/m/w")).orElseThrow().extents().get(0);
        assertThat(StandardCharsets.UTF_8.decode(store.read(ExtentCodec.toLocation(e))).toString()).isEqualTo("handed over");
        // WRITE_BACK pins its bytes; the reservation taken for the record is closed once it is live.
        assertThat(store.stats().pinnedBytes()).isEqualTo(body.length);
        assertThat(store.stats().pinnedReservedBytes()).isZero();
    }

    @Test
    void aSegmentWriterPlacesRecordsAtConsecutiveOffsetsAndCommitsAfterAFlush() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/t"), WritePolicy.WRITE_THROUGH, "w1"));
        Extent first = w.append(ByteBuffer.wrap(new byte[300])).get(10, TimeUnit.SECONDS);
        w.flush(ByteBuffer.wrap(new byte[200])).get(10, TimeUnit.SECONDS);
        assertThat(first.offset()).isZero();
        assertThat(w.extents()).extracting(Extent::offset).containsExactly(0L, 300L);
        assertThat(catalog.files().lookup(p("/m/t"))).as("flushed, not committed").isEmpty();
        // WRITE_THROUGH data is evictable: no pinned space was taken.
        assertThat(store.stats().pinnedBytes()).isZero();

        CommitResult r = w.commit(new CommitRequest(500, "", 0)).get(10, TimeUnit.SECONDS);
        assertThat(r.committed().size()).isEqualTo(500);
        assertThat(catalog.files().layout(p("/m/t")).orElseThrow().extents()).containsExactlyElementsOf(w.extents());
    }

    @Test
    void aWriterThatSyncsAtCommitSyncsOnceAtItsCommitAndNotBefore() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/s"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        for (int i = 0; i < 3; i++) {
            w.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);
        }
        // Written and in the Catalog, not yet synced: nothing was acknowledged.
        assertThat(syncs.get()).isZero();
        assertThat(catalog.files().lookup(p("/m/s"))).isEmpty();

        List<String> before = List.copyOf(order);
        CommitResult r = w.commit(ByteBuffer.wrap(new byte[500]), new CommitRequest(3500, "", 0)).get(10, TimeUnit.SECONDS);
        assertThat(r.committed().size()).isEqualTo(3500);
        // The commit's batch synced every record before the commit was acknowledged.
        assertThat(syncs.get()).isEqualTo(1);
        assertThat(order.subList(before.size(), order.size())).contains("sync_done");
    }

    @Test
    void aLongWriteThatSyncsAtCommitReachesTheDiskWhileItArrivesAndItsCommitStillSyncs() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/long"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        int mib = 1 << 20;
        int records = (int) (JournalHandler.WRITE_BEHIND_BYTES / mib) * 2 + 1;
        for (int i = 0; i < records; i++) {
            w.append(ByteBuffer.wrap(new byte[mib])).get(10, TimeUnit.SECONDS);
        }
        // Nothing waited for a sync, and nothing is acknowledged, but the log was told to start
        // syncing once per WRITE_BEHIND_BYTES, and did: its force rounds ran before the commit.
        assertThat(syncs.get()).isZero();
        assertThat(startedSyncs.get()).isEqualTo(2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.stats().syncs() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(store.stats().syncs()).as("force rounds of the log before the commit").isGreaterThanOrEqualTo(2);
        assertThat(catalog.files().lookup(p("/m/long"))).isEmpty();

        // The commit does not rely on them: it syncs the tail (and anything still in flight) itself.
        long size = (long) records * mib;
        w.commit(new CommitRequest(size, "", 0)).get(10, TimeUnit.SECONDS);
        assertThat(syncs.get()).isEqualTo(1);
        assertThat(catalog.files().lookup(p("/m/long")).orElseThrow().size()).isEqualTo(size);
    }

    @Test
    void aFailedSyncAtTheCommitOfRecordsWrittenEarlierLeavesTheAcknowledgedVersionIntact() throws Exception {
        start(64);
        PipelineSession first = pipeline.newSession(BeginRequest.of(p("/m/k"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(first, new byte[300]).get(2).get(10, TimeUnit.SECONDS);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/k"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        w.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);
        w.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);

        // The records went through the journal in batches that did not sync: the commit must not be
        // taken as synced because of that, whatever the order of the Catalog commit and the sync.
        failSync.set(true);
        assertThatThrownBy(() -> w.commit(new CommitRequest(2000, "", 0)).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");
        failSync.set(false);
        assertThat(catalog.files().lookup(p("/m/k")).orElseThrow().fileId()).isEqualTo(first.fileId());
        assertThat(catalog.files().lookup(p("/m/k")).orElseThrow().size()).isEqualTo(300);
    }

    @Test
    void aFailedSyncAtTheCommitFailsTheCommitOfEveryUnsyncedWriter() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/u"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        SegmentWriter other = pipeline.openWriter(BeginRequest.of(p("/m/v"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        w.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);
        other.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);

        failSync.set(true);
        assertThatThrownBy(() -> w.commit(new CommitRequest(1000, "", 0)).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");
        failSync.set(false);
        // The other writer's record was in the page cache when that sync failed: it cannot be known
        // durable, so its commit fails too, even though the next sync succeeds.
        assertThatThrownBy(() -> other.commit(new CommitRequest(1000, "", 0)).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("durable");
        assertThat(catalog.files().lookup(p("/m/u"))).isEmpty();
        assertThat(catalog.files().lookup(p("/m/v"))).isEmpty();
    }

    @Test
    void aSyncForAnotherWriteMakesUnsyncedRecordsDurableToo() throws Exception {
        start(64);
        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/d"), WritePolicy.WRITE_BACK, "w1")).syncAtCommit();
        w.append(ByteBuffer.wrap(new byte[1000])).get(10, TimeUnit.SECONDS);
        PipelineSession small = pipeline.newSession(BeginRequest.of(p("/m/e"), WritePolicy.WRITE_BACK, "w1"));
        smallWrite(small, new byte[10]).get(2).get(10, TimeUnit.SECONDS);
        assertThat(syncs.get()).isEqualTo(1);
        // That sync covered the unsynced record: the commit needs none of its own.
        w.commit(new CommitRequest(1000, "", 0)).get(10, TimeUnit.SECONDS);
        assertThat(syncs.get()).isEqualTo(1);
    }

    @Test
    void aSegmentWriterAbortPublishesNothingBeforeItsFirstRecordAndReturnsTheExtentsAfter() throws Exception {
        start(64);
        SegmentWriter idle = pipeline.openWriter(BeginRequest.of(p("/m/i"), WritePolicy.WRITE_BACK, "w1"));
        assertThat(idle.abort().get(10, TimeUnit.SECONDS)).isNull();
        assertThat(order).isEmpty();

        SegmentWriter w = pipeline.openWriter(BeginRequest.of(p("/m/b"), WritePolicy.WRITE_BACK, "w1"));
        Extent e = w.append(ByteBuffer.wrap(new byte[64])).get(10, TimeUnit.SECONDS);
        assertThat(w.begun()).isTrue();
        assertThat(w.abort().get(10, TimeUnit.SECONDS).extents()).containsExactly(e);
        assertThat(catalog.files().lookup(p("/m/b"))).isEmpty();
        assertThatThrownBy(() -> w.abortPart()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPartWriterRecordsItsUploadsPartAndRefusesAnObjectCommit() throws Exception {
        start(64);
        NamespacePath path = p("/m/pw");
        BeginRequest request = BeginRequest.of(path, WritePolicy.WRITE_BACK, "w1");
        String upload = catalog.multipart().createUpload(request).uploadId();
        SegmentWriter part = pipeline.openPartWriter(request, upload, 3);
        assertThat(part.session().isPart()).isTrue();
        assertThatThrownBy(() -> part.commit(new CommitRequest(0, "", 0))).isInstanceOf(IllegalStateException.class);
        byte[] body = "part three".getBytes(StandardCharsets.UTF_8);
        assertThat(part.commitPart(ByteBuffer.wrap(body), new CommitRequest(body.length, "e3", 0))
                .get(10, TimeUnit.SECONDS).released()).isEmpty();
        assertThat(catalog.multipart().parts(upload)).singleElement().satisfies(pi -> {
            assertThat(pi.fileId()).isEqualTo(part.fileId());
            assertThat(pi.size()).isEqualTo(body.length);
        });
        assertThat(catalog.files().extents(part.fileId())).containsExactlyElementsOf(part.extents());
    }
}
