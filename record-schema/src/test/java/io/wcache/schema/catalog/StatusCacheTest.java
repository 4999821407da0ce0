package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.embedded.CommitListener;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A path's status kept between reads ({@link StatusCache}) is served only while no commit wrote
 * what it was read from: every write the Catalog makes to a path, its tombstone or its version's
 * extents, and every write through another Catalog on the same engine, is seen by the next read.
 */
class StatusCacheTest {

    private final EmbeddedDatabase engine = (EmbeddedDatabase) CatalogFixture.engine().database();
    private final List<CommitListener> registered = new ArrayList<>();

    @AfterEach
    void unregister() {
        registered.forEach(engine::removeCommitListener);
    }

    /** A Catalog told of every commit, as the worker sets it up; {@code name} null: a fresh one. */
    private Catalog reported(String name) {
        Catalog c = name == null ? CatalogFixture.newCatalog(new TestClock())
                : new Catalog(CatalogFixture.engine().recordDatabase(), name, new TestClock());
        CommitListener l = c::committed;
        engine.addCommitListener(l);
        registered.add(l);
        c.cacheStatusesFrom(engine.committedVersion());
        return c;
    }

    private static FileVersion live(Catalog c, String path) {
        PathStatus s = c.files().status(NamespacePath.of(path));
        assertThat(s).isInstanceOf(PathStatus.Live.class);
        return ((PathStatus.Live) s).layout().file();
    }

    private static List<Extent> extents(Catalog c, String path) {
        return ((PathStatus.Live) c.files().status(NamespacePath.of(path))).layout().extents();
    }

    @Test
    void aSecondReadOfAnUnchangedPathReadsNothing() {
        Catalog c = reported(null);
        CatalogFixture.write(c, "/m/a", WritePolicy.WRITE_BACK, 2, 100);
        live(c, "/m/a");
        FDBStoreTimer timer = new FDBStoreTimer();
        c.countReads(timer);
        FileVersion again = live(c, "/m/a");
        c.countReads(null);
        assertThat(again.path()).isEqualTo(NamespacePath.of("/m/a"));
        assertThat(timer.getCount(FDBStoreTimer.Counts.READS) + timer.getCount(FDBStoreTimer.Counts.RANGE_READS))
                .as("engine reads of a status read again").isZero();
    }

    private static List<CatalogOp> putBatch(Catalog c, String path, int chunks) {
        long fileId = c.files().reserveFileId();
        SessionRef session = new SessionRef(NamespacePath.of(path), fileId);
        return List.of(new CatalogOp.Begin(BeginRequest.of(NamespacePath.of(path), WritePolicy.WRITE_BACK, "w1"), fileId),
                new CatalogOp.AddExtents(session, CatalogFixture.extents(fileId, chunks, 100)),
                new CatalogOp.Commit(session, new CommitRequest(chunks * 100L, "etag-" + fileId, 7)));
    }

    private static long readsOf(Catalog c, Runnable r) {
        FDBStoreTimer timer = new FDBStoreTimer();
        c.countReads(timer);
        try {
            r.run();
        } finally {
            c.countReads(null);
        }
        return timer.getCount(FDBStoreTimer.Counts.READS) + timer.getCount(FDBStoreTimer.Counts.RANGE_READS);
    }

    /** A PUT's batch leaves what it committed for the read after it: the same as the Catalog holds. */
    @Test
    void aReadRightAfterAWholeSessionCommittedInOneBatchReadsNothingAndFindsWhatTheCatalogHolds() {
        Catalog c = reported(null);
        c.files().apply(putBatch(c, "/m/put", 3));
        List<PathStatus> after = new ArrayList<>();
        assertThat(readsOf(c, () -> after.add(c.files().status(NamespacePath.of("/m/put"))))).isZero();
        assertThat(after.get(0)).isEqualTo(new PathStatus.Live(c.files().layout(NamespacePath.of("/m/put")).orElseThrow()));

        List<CatalogOp> withConfirm = new ArrayList<>(putBatch(c, "/m/put", 1));
        withConfirm.add(new CatalogOp.ConfirmSynced(List.of(123_456L))); // as the write path's batches carry them
        c.files().apply(withConfirm);
        assertThat(readsOf(c, () -> after.add(c.files().status(NamespacePath.of("/m/put"))))).isZero();
        PathStatus overwritten = after.get(1);
        assertThat(((PathStatus.Live) overwritten).layout().extents()).hasSize(1);
        assertThat(overwritten).isEqualTo(new PathStatus.Live(c.files().layout(NamespacePath.of("/m/put")).orElseThrow()));
    }

    /** A HEAD (lookup) and the persister's read of what to upload (layout) are answered the same way. */
    @Test
    void lookupsAndLayoutsAreAnsweredFromTheKeptStatusAndSeeTheNextWrite() {
        Catalog c = reported(null);
        NamespacePath p = NamespacePath.of("/m/head");
        c.files().apply(putBatch(c, "/m/head", 2));
        List<Optional<FileVersion>> seen = new ArrayList<>();
        assertThat(readsOf(c, () -> seen.add(c.files().lookup(p)))).isZero();
        assertThat(readsOf(c, () -> c.files().layout(p))).isZero();
        assertThat(seen.get(0).orElseThrow().size()).isEqualTo(200);

        CommitResult over = CatalogFixture.write(c, "/m/head", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(c.files().lookup(p).orElseThrow().fileId()).isEqualTo(over.committed().fileId());
        assertThat(c.files().layout(p).orElseThrow().extents()).hasSize(1);
        c.files().delete(p);
        assertThat(c.files().lookup(p)).isEmpty();
        assertThat(c.files().layout(p)).isEmpty();
    }

    @Test
    void aBatchThatAlsoDeletesOrCommitsAPathTwiceLeavesNothingToServe() {
        Catalog c = reported(null);
        List<CatalogOp> ops = new ArrayList<>(putBatch(c, "/m/twice", 1));
        ops.addAll(putBatch(c, "/m/twice", 2));
        c.files().apply(ops);
        assertThat(readsOf(c, () -> c.files().status(NamespacePath.of("/m/twice")))).isPositive();
        assertThat(extents(c, "/m/twice")).hasSize(2);

        List<CatalogOp> withDelete = new ArrayList<>(putBatch(c, "/m/del", 1));
        withDelete.add(new CatalogOp.Delete(NamespacePath.of("/m/del")));
        c.files().apply(withDelete);
        assertThat(readsOf(c, () -> c.files().status(NamespacePath.of("/m/del")))).isPositive();
        assertThat(c.files().status(NamespacePath.of("/m/del"))).isInstanceOf(PathStatus.Deleted.class);
    }

    @Test
    void withoutReportsEveryReadGoesToTheCatalog() {
        Catalog c = CatalogFixture.newCatalog(new TestClock());
        CatalogFixture.write(c, "/m/a", WritePolicy.WRITE_BACK, 1, 100);
        live(c, "/m/a");
        FDBStoreTimer timer = new FDBStoreTimer();
        c.countReads(timer);
        live(c, "/m/a");
        c.countReads(null);
        assertThat(timer.getCount(FDBStoreTimer.Counts.RANGE_READS)).isPositive();
    }

    @Test
    void everyChangeOfThePathIsSeenByTheNextRead() {
        Catalog c = reported(null);
        NamespacePath p = NamespacePath.of("/m/b");
        CommitResult first = CatalogFixture.write(c, "/m/b", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(live(c, "/m/b").fileId()).isEqualTo(first.committed().fileId());

        CommitResult second = CatalogFixture.write(c, "/m/b", WritePolicy.WRITE_BACK, 2, 100);
        assertThat(live(c, "/m/b").fileId()).as("overwritten").isEqualTo(second.committed().fileId());
        assertThat(extents(c, "/m/b")).hasSize(2);

        c.files().setTags(p, Map.of("k", "v"));
        assertThat(live(c, "/m/b").tags()).as("tagged").containsEntry("k", "v");

        Extent e = extents(c, "/m/b").get(0);
        assertThat(c.locations().relocateExtent(e.worker(), e.segment(), e.position(), e.length(), 9_999, 64))
                .isEqualTo(LocationUpdate.APPLIED);
        assertThat(extents(c, "/m/b").get(0).segment()).as("an extent moved by compaction").isEqualTo(9_999);

        assertThat(c.files().markDamaged(live(c, "/m/b").ref(), "bit flip")).isPresent();
        assertThat(live(c, "/m/b").damaged()).as("marked damaged").isTrue();

        c.files().delete(p);
        assertThat(c.files().status(p)).as("deleted").isInstanceOf(PathStatus.Deleted.class);

        CommitResult third = CatalogFixture.write(c, "/m/b", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(live(c, "/m/b").fileId()).as("written again").isEqualTo(third.committed().fileId());
    }

    @Test
    void anEtagComputedAfterTheCommitIsRecordedOnceOnItsOwnVersionAndSeenByTheNextRead() {
        Catalog c = reported(null);
        NamespacePath p = NamespacePath.of("/m/e");
        FileVersion s = c.files().begin(BeginRequest.of(p, WritePolicy.WRITE_BACK, "w1"));
        c.files().addExtents(s.ref(), CatalogFixture.extents(s.fileId(), 1, 100));
        CommitResult committed = c.files().commit(s.ref(), new CommitRequest(100, "", s.fileId()));
        long generation = committed.committed().generation();
        assertThat(live(c, "/m/e").etag()).as("committed without its MD5").isEmpty();

        assertThat(c.files().setEtag(p, generation + 1, "0123")).as("not this version").isEmpty();
        assertThat(live(c, "/m/e").etag()).isEmpty();
        assertThat(c.files().setEtag(p, generation, "0123")).map(FileVersion::etag).hasValue("0123");
        FileVersion after = live(c, "/m/e");
        assertThat(after.etag()).isEqualTo("0123");
        assertThat(after.generation()).isEqualTo(generation);
        assertThat(after.size()).isEqualTo(100);
        assertThat(c.files().setEtag(p, generation, "4567")).as("a version keeps the ETag it has")
                .map(FileVersion::etag).hasValue("0123");
        assertThat(live(c, "/m/e").etag()).isEqualTo("0123");
    }

    @Test
    void aWriteThroughAnotherCatalogOnTheSameEngineIsSeen() {
        Catalog a = reported(null);
        Catalog b = reported(a.name());
        CatalogFixture.write(a, "/m/c", WritePolicy.WRITE_BACK, 1, 100);
        live(a, "/m/c");
        CommitResult other = CatalogFixture.write(b, "/m/c", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(live(a, "/m/c").fileId()).isEqualTo(other.committed().fileId());
    }

    /**
     * Readers race a writer that overwrites one path; each reader notes which write was acknowledged
     * before its read began, and its read must show that write or a later one.
     */
    @Test
    void noReadBeginningAfterAnAcknowledgedWriteSeesAnOlderVersion() throws Exception {
        Catalog c = reported(null);
        NamespacePath p = NamespacePath.of("/m/race");
        AtomicLong acknowledged = new AtomicLong(CatalogFixture.write(c, "/m/race", WritePolicy.WRITE_BACK, 1, 10)
                .committed().generation());
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(3);
        try {
            List<Future<Long>> reads = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                reads.add(readers.submit(() -> {
                    long n = 0;
                    while (!done.get()) {
                        long before = acknowledged.get();
                        PathStatus s = c.files().status(p);
                        long seen = ((PathStatus.Live) s).layout().file().generation();
                        assertThat(seen).as("generation read after generation %d was acknowledged", before)
                                .isGreaterThanOrEqualTo(before);
                        n++;
                    }
                    return n;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int i = 0; i < 200 && System.nanoTime() < deadline; i++) {
                acknowledged.set(CatalogFixture.write(c, "/m/race", WritePolicy.WRITE_BACK, 1, 10).committed().generation());
            }
            done.set(true);
            long total = 0;
            for (Future<Long> f : reads) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(total).isPositive();
        } finally {
            done.set(true);
            readers.shutdownNow();
        }
    }

    private static final byte[] PREFIX = {0x15, 0x07, 0x01};

    private static byte[] key(Object type, Object id, Object... rest) {
        return ByteArrayUtil.join(PREFIX, Tuple.from(type, id).addAll(List.of(rest)).pack());
    }

    private static StatusCache.Read liveRead(String path, long fileId, long readVersion) {
        FileVersion v = new FileVersion(NamespacePath.of(path), fileId, 1, FileState.COMMITTED, PersistState.NOT_PERSISTED,
                WritePolicy.WRITE_BACK, 1, 10, "e", 1, "", Map.of(), Instant.EPOCH, Instant.EPOCH,
                Optional.of(Instant.EPOCH), "w1", List.of(), List.of(), Map.of(), "", Map.of());
        return new StatusCache.Read(new PathStatus.Live(new FileLayout(v, List.of())), readVersion);
    }

    @Test
    void aReadOlderThanACommitToItsPathItsTombstoneOrItsExtentsIsNotServed() {
        StatusCache cache = new StatusCache(100, PREFIX);
        cache.put("/p", liveRead("/p", 5, 10));
        assertThat(cache.get("/p")).as("not serving before serveFrom").isNull();
        cache.serveFrom(10);
        cache.put("/p", liveRead("/p", 5, 9));
        assertThat(cache.get("/p")).as("read below the version reports began").isNull();

        cache.put("/p", liveRead("/p", 5, 10));
        assertThat(cache.get("/p")).isNotNull();
        cache.committed(11, List.of(key(RecordTypes.FILE, "/other", 7L)), List.of());
        cache.committed(11, List.of(key(RecordTypes.PART, "u", 1L)), List.of());
        assertThat(cache.get("/p")).as("writes of other paths and records").isNotNull();

        cache.committed(12, List.of(key(RecordTypes.EXTENT, 5L, 0L)), List.of());
        assertThat(cache.get("/p")).as("an extent of its version written").isNull();
        cache.put("/p", liveRead("/p", 5, 11));
        assertThat(cache.get("/p")).as("a read that did not see that commit, kept after it").isNull();
        cache.put("/p", liveRead("/p", 5, 12));
        assertThat(cache.get("/p")).isNotNull();

        cache.committed(13, List.of(key(RecordTypes.TOMBSTONE, "/p")), List.of());
        assertThat(cache.get("/p")).as("its tombstone written").isNull();
        cache.put("/p", liveRead("/p", 5, 13));
        byte[] record = key(RecordTypes.FILE, "/p", 5L);
        cache.committed(14, List.of(), List.<byte[][]>of(new byte[][] {ByteArrayUtil.join(record, new byte[] {0}),
                ByteArrayUtil.join(record, new byte[] {(byte) 0xff})}));
        assertThat(cache.get("/p")).as("its record's keys cleared").isNull();
    }

    @Test
    void aClearWiderThanOnePathOrAnUndecodableKeyForgetsEverything() {
        StatusCache cache = new StatusCache(100, PREFIX);
        cache.serveFrom(1);
        cache.put("/p", liveRead("/p", 5, 10));
        cache.committed(11, List.of(), List.<byte[][]>of(new byte[][] {ByteArrayUtil.join(PREFIX, new byte[] {0x01}),
                ByteArrayUtil.strinc(PREFIX)}));
        assertThat(cache.get("/p")).as("every record cleared").isNull();

        cache.put("/p", liveRead("/p", 5, 11));
        cache.committed(12, List.of(ByteArrayUtil.join(PREFIX, Tuple.from(RecordTypes.FILE).pack(), new byte[] {0x7f})),
                List.of());
        assertThat(cache.get("/p")).as("a file key that does not decode").isNull();

        cache.put("/p", liveRead("/p", 5, 12));
        cache.committed(13, List.of(new byte[] {0x15, 0x08, 0x01}), List.<byte[][]>of(new byte[][] {{0x16}, {0x17}}));
        assertThat(cache.get("/p")).as("writes outside the records").isNotNull();
    }

    @Test
    void itHoldsAtMostItsCapacity() {
        StatusCache cache = new StatusCache(3, PREFIX);
        cache.serveFrom(1);
        for (int i = 0; i < 10; i++) {
            cache.put("/p" + i, liveRead("/p" + i, i, 5));
        }
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void aFullCacheMakesRoomForManyPutsAtOnce() {
        StatusCache cache = new StatusCache(1600, PREFIX);
        cache.serveFrom(1);
        for (int i = 0; i < 1600; i++) {
            cache.put("/p" + i, liveRead("/p" + i, i, 5));
        }
        assertThat(cache.size()).isEqualTo(1600);
        // One walk of the map drops a sixteenth of it, not one entry per put.
        cache.put("/q", liveRead("/q", 5000, 5));
        assertThat(cache.size()).isEqualTo(1501);
        assertThat(cache.get("/q")).isNotNull();
        for (int i = 0; i < 10_000; i++) {
            cache.put("/r" + i, liveRead("/r" + i, 6000 + i, 5));
            assertThat(cache.size()).isLessThanOrEqualTo(1600);
        }
        assertThat(cache.get("/r9999")).isNotNull();
    }
}
