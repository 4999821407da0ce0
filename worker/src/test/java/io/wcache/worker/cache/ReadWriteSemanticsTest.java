package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.sweep.SessionSweeper;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read-after-write, overwrite, delete, merged listing, read-through caching and the session sweeps. */
class ReadWriteSemanticsTest {

    @TempDir
    Path root;

    Worker worker;
    CacheFixture f;

    private void start(String... sets) {
        worker = TestWorkers.start(root, sets);
        f = new CacheFixture(worker);
    }

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private Path ufs(String key) {
        return TestWorkers.ufsDir(root).resolve(key);
    }

    private void putUfs(String key, byte[] body) throws Exception {
        Files.createDirectories(ufs(key).getParent());
        Files.write(ufs(key), body);
    }

    @Test
    void aSmallObjectIsReadWhenOpenedSoItsReadsDoNotWaitForTheIoPool() {
        start();
        byte[] small = bytes(LocalObjectReader.READ_ON_OPEN_MAX, 11);
        f.write("/m/small", small);
        try (ObjectReader r = WorkerCacheService.await(f.cache.open(p("/m/small")))) {
            java.util.concurrent.CompletableFuture<ByteBuffer> tail = r.read(100, small.length);
            assertThat(tail).as("served from the bytes read at open").isDone();
            byte[] got = new byte[WorkerCacheService.await(tail).remaining()];
            WorkerCacheService.await(r.read(100, small.length)).get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(small, 100, small.length));
            assertThat(CacheFixture.readAll(r)).as("a second read sees the same bytes").isEqualTo(small);
        }
    }

    /**
     * With the Catalog in this process, a small cached object is opened and read on the caller's
     * thread (an S3 event loop): no hop to the I/O pool and back, whose two wake-ups cost a GET more
     * than the Catalog read itself. Anything else still opens on the pool and reads the same bytes.
     */
    @Test
    void aSmallCachedObjectOpensOnTheCallersThread() {
        start();
        byte[] small = bytes(10 * 1024, 12);
        byte[] large = bytes(LocalObjectReader.READ_ON_OPEN_MAX + 1, 13);
        f.write("/m/inline", small);
        f.write("/m/pooled", large);
        java.util.concurrent.CompletableFuture<ObjectReader> opened = f.cache.open(p("/m/inline"));
        assertThat(opened).as("opened before open() returned").isDone();
        try (ObjectReader r = opened.join()) {
            assertThat(CacheFixture.readAll(r)).isEqualTo(small);
        }
        assertThat(WorkerCacheService.await(f.cache.stat(p("/m/inline")))).map(ObjectInfo::size).contains(10L * 1024);
        assertThat(f.read("/m/pooled")).isEqualTo(large);
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.open(p("/m/none"))))
                .isInstanceOf(WcacheException.NotFound.class);
        f.write("/m/inline", large);
        assertThat(f.read("/m/inline")).as("an overwrite with a large object is read whole").isEqualTo(large);
    }

    @Test
    void readAfterWriteReturnsTheBytesAcrossRecordsAndRanges() {
        start();
        byte[] body = bytes(3 * 1024 * 1024 + 123, 10);
        f.write("/m/big", body, 100_000);
        assertThat(f.read("/m/big")).isEqualTo(body);
        try (ObjectReader r = WorkerCacheService.await(f.cache.open(p("/m/big")))) {
            ByteBuffer mid = WorkerCacheService.await(r.read(1024 * 1024 - 10, 30));
            byte[] got = new byte[mid.remaining()];
            mid.get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(body, 1024 * 1024 - 10, 1024 * 1024 + 20));
            assertThat(WorkerCacheService.await(r.read(body.length, 10)).remaining()).isZero();
            assertThat(WorkerCacheService.await(r.read(body.length - 3, 10)).remaining()).isEqualTo(3);
        }
        assertThat(f.write("/m/empty", new byte[0]).size()).isZero();
        assertThat(f.read("/m/empty")).isEmpty();
    }

    @Test
    void aBodyOfManyRecordsGetsTheMd5OfItsBytesAsEtagAndAWrongContentMd5StoresNothing() {
        // Full records are hashed on the hashing threads while they go to the log, the staged tail at commit.
        start();
        byte[] body = bytes(5 * RecordStager.RECORD + 777, 31);
        java.security.MessageDigest md5 = io.wcache.core.digest.Md5.newDigest();
        String expected = java.util.HexFormat.of().formatHex(md5.digest(body));
        assertThat(f.write("/m/many", body, 131_072).etag()).isEqualTo(expected);
        assertThat(f.read("/m/many")).isEqualTo(body);

        String uploadId = WorkerCacheService.await(f.cache.createMultipart(p("/m/mp"),
                io.wcache.core.cache.WriteOptions.defaults())).uploadId();
        WriteSession part = WorkerCacheService.await(f.cache.uploadPart(p("/m/mp"), uploadId, 1));
        for (int off = 0; off < body.length; off += 300_000) {
            WorkerCacheService.await(part.append(ByteBuffer.wrap(body, off, Math.min(300_000, body.length - off))));
        }
        assertThat(WorkerCacheService.await(part.commit()).etag()).isEqualTo(expected);

        byte[] wrong = md5.digest(new byte[] {1});
        WriteSession s = WorkerCacheService.await(f.cache.create(p("/m/bad"), new io.wcache.core.cache.WriteOptions(
                null, java.util.Map.of(), Optional.of(wrong), false, java.util.Map.of(), List.of())));
        for (int off = 0; off < body.length; off += 131_072) {
            WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, Math.min(131_072, body.length - off))));
        }
        assertThatThrownBy(() -> WorkerCacheService.await(s.commit())).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("Content-MD5");
        assertThat(WorkerCacheService.await(f.cache.stat(p("/m/bad")))).isEmpty();
    }

    @Test
    void uncommittedWriteIsInvisibleAndAbortLeavesNothing() {
        start();
        WriteSession s = f.open("/m/pending");
        WorkerCacheService.await(s.append(ByteBuffer.wrap(bytes(2 * 1024 * 1024, 11))));
        assertThat(f.cache.stat(p("/m/pending")).join()).isEmpty();
        assertThatThrownBy(() -> f.read("/m/pending")).isInstanceOf(WcacheException.NotFound.class);
        WorkerCacheService.await(s.abort());
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(worker.catalog().files().idleSessions(java.time.Instant.now().plusSeconds(60), 10)).isEmpty();
    }

    @Test
    void overwriteLastCommitWinsAndAnOpenReaderKeepsItsVersionWhole() {
        start();
        byte[] v1 = bytes(2 * 1024 * 1024, 12);
        byte[] v2 = bytes(1024 * 1024 + 7, 13);
        f.write("/m/k", v1);
        ObjectReader old = WorkerCacheService.await(f.cache.open(p("/m/k")));
        ObjectInfo second = f.write("/m/k", v2);
        assertThat(second.generation()).isGreaterThan(old.info().generation());
        assertThat(f.read("/m/k")).isEqualTo(v2);
        // The superseded bytes stay readable until the reader closes, then are released.
        assertThat(CacheFixture.readAll(old)).isEqualTo(v1);
        old.close();
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(v2.length);

        // Two sessions racing on one path: whichever commits last wins, whole.
        WriteSession a = f.open("/m/race");
        WriteSession b = f.open("/m/race");
        WorkerCacheService.await(a.append(ByteBuffer.wrap(bytes(5000, 14))));
        WorkerCacheService.await(b.append(ByteBuffer.wrap(bytes(7000, 15))));
        WorkerCacheService.await(b.commit());
        WorkerCacheService.await(a.commit());
        assertThat(f.read("/m/race")).isEqualTo(bytes(5000, 14));
    }

    @Test
    void deleteHidesThePathAtOnceAndTheUfsDeleteFollowsInOrder() {
        start();
        byte[] body = bytes(4000, 16);
        f.write("/m/d/x", body);
        f.drain();
        assertThat(Files.exists(ufs("d/x"))).isTrue();

        assertThat(WorkerCacheService.await(f.cache.delete(p("/m/d/x")))).isTrue();
        assertThat(f.cache.stat(p("/m/d/x")).join()).isEmpty();
        assertThatThrownBy(() -> f.read("/m/d/x")).isInstanceOf(WcacheException.NotFound.class);
        assertThat(list("d/", "", 100).objects()).isEmpty();
        assertThat(Files.exists(ufs("d/x"))).as("UFS delete waits for the persister").isTrue();
        f.drain();
        assertThat(Files.exists(ufs("d/x"))).isFalse();
        assertThat(worker.logStore().stats().evictableBytes() + worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(WorkerCacheService.await(f.cache.delete(p("/m/d/nothing")))).isFalse();
    }

    @Test
    void aDeletedDirectoryDoesNotReappearFromTheUfsBeforeItsDeletesRun() {
        start();
        f.write("/m/tree/a/x", bytes(100, 18));
        f.write("/m/tree/a/y", bytes(100, 19));
        f.write("/m/tree/keep/z", bytes(100, 20));
        f.drain();
        WorkerCacheService.await(f.cache.delete(p("/m/tree/a/x")));
        WorkerCacheService.await(f.cache.delete(p("/m/tree/a/y")));
        assertThat(Files.exists(ufs("tree/a/x"))).as("the UFS deletes are still pending").isTrue();

        assertThat(list("tree/", "/", 100).commonPrefixes()).containsExactly("tree/keep/");
        assertThat(list("tree/a/", "/", 100).objects()).isEmpty();
        f.drain();
        assertThat(list("tree/", "/", 100).commonPrefixes()).containsExactly("tree/keep/");
    }

    @Test
    void writeBackThenDeleteBeforeUploadNeverLeavesTheObjectInTheUfs() {
        start();
        f.write("/m/wd", bytes(100, 17));
        WorkerCacheService.await(f.cache.delete(p("/m/wd")));
        f.drain();
        assertThat(Files.exists(ufs("wd"))).isFalse();
    }

    private ListResult list(String prefix, String delimiter, int max) {
        return WorkerCacheService.await(f.cache.list(new ListQuery(p("/m"), prefix, delimiter, "", max, Optional.empty())));
    }

    @Test
    void listingMergesCachedAndUfsOnlyObjectsSortedWithPagesAndPrefixes() throws Exception {
        start();
        putUfs("l/a", bytes(10, 20));
        putUfs("l/c", bytes(30, 21));
        putUfs("l/sub/z", bytes(5, 22));
        putUfs("l/gone", bytes(5, 23));
        f.write("/m/l/b", bytes(20, 24));
        f.write("/m/l/c", bytes(31, 25)); // newer in the cache than the UFS copy
        WorkerCacheService.await(f.cache.delete(p("/m/l/gone")));

        ListResult all = list("l/", "", 100);
        assertThat(all.objects()).extracting(o -> o.path().relativeToMount()).containsExactly("l/a", "l/b", "l/c", "l/sub/z");
        assertThat(all.objects().get(2).size()).isEqualTo(31);
        assertThat(all.objects().get(0).persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(all.objects().get(1).persistStatus()).isEqualTo(PersistStatus.NOT_PERSISTED);

        ListResult grouped = list("l/", "/", 100);
        assertThat(grouped.objects()).extracting(o -> o.path().relativeToMount()).containsExactly("l/a", "l/b", "l/c");
        assertThat(grouped.commonPrefixes()).containsExactly("l/sub/");

        List<String> paged = new ArrayList<>();
        Optional<String> token = Optional.empty();
        int pages = 0;
        do {
            ListResult page = WorkerCacheService.await(f.cache.list(new ListQuery(p("/m"), "l/", "", "", 2, token)));
            page.objects().forEach(o -> paged.add(o.path().relativeToMount()));
            token = page.continuation();
            pages++;
        } while (token.isPresent() && pages < 10);
        assertThat(paged).containsExactly("l/a", "l/b", "l/c", "l/sub/z");
        assertThat(pages).isGreaterThan(1);
    }

    @Test
    void pendingDeletesHideUfsObjectsInEveryPageHoweverDenseTheyAre() throws Exception {
        start();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String key = String.format("t/k%02d", i);
            putUfs(key, bytes(10, 100 + i));
            for (String w : List.of("-a", "-b", "-c")) {
                f.write("/m/" + key + w, bytes(10, 200 + i)); // written back, never uploaded, then deleted
            }
        }
        for (int i = 0; i < 40; i++) {
            String key = String.format("t/k%02d", i);
            for (String w : List.of("-a", "-b", "-c")) {
                WorkerCacheService.await(f.cache.delete(p("/m/" + key + w)));
            }
            if (i % 3 != 1) {
                WorkerCacheService.await(f.cache.delete(p("/m/" + key))); // its UFS delete stays pending
            } else {
                expected.add(key);
            }
        }
        assertThat(Files.exists(ufs("t/k00"))).as("the UFS deletes are still pending").isTrue();

        assertThat(list("t/", "", 1000).objects()).extracting(o -> o.path().relativeToMount())
                .containsExactlyElementsOf(expected);
        assertThat(list("t/", "/", 1000).objects()).extracting(o -> o.path().relativeToMount())
                .containsExactlyElementsOf(expected);
        for (int pageSize : List.of(1, 2, 3, 7)) {
            assertThat(paged("t/", "", pageSize)).as("pages of %d", pageSize).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void directoriesWhoseObjectsArePendingDeleteStayHiddenAmongManyInEveryPage() throws Exception {
        start();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String dir = String.format("v/d%02d/", i);
            putUfs(dir + "x", bytes(10, 300 + i));
            putUfs(dir + "y", bytes(10, 400 + i));
            for (String w : List.of("a", "b", "c")) {
                f.write("/m/" + dir + "w" + w, bytes(10, 500 + i)); // written back, never uploaded, then deleted
                WorkerCacheService.await(f.cache.delete(p("/m/" + dir + "w" + w)));
            }
            switch (i % 3) {
                case 0 -> { // all its UFS objects deleted, their UFS deletes pending: the directory is gone
                    WorkerCacheService.await(f.cache.delete(p("/m/" + dir + "x")));
                    WorkerCacheService.await(f.cache.delete(p("/m/" + dir + "y")));
                }
                case 1 -> { // one of two deleted: still there
                    WorkerCacheService.await(f.cache.delete(p("/m/" + dir + "x")));
                    expected.add(dir);
                }
                default -> expected.add(dir);
            }
        }
        assertThat(Files.exists(ufs("v/d00/x"))).as("the UFS deletes are still pending").isTrue();

        assertThat(list("v/", "/", 1000).commonPrefixes()).containsExactlyElementsOf(expected);
        for (int pageSize : List.of(1, 2, 5)) {
            assertThat(paged("v/", "/", pageSize)).as("pages of %d", pageSize).containsExactlyElementsOf(expected);
        }
    }

    /** Every key and common prefix of a listing taken in pages of {@code pageSize}, in the order listed. */
    private List<String> paged(String prefix, String delimiter, int pageSize) {
        List<String> paged = new ArrayList<>();
        Optional<String> token = Optional.empty();
        int pages = 0;
        do {
            ListResult page = WorkerCacheService.await(f.cache.list(new ListQuery(p("/m"), prefix, delimiter, "", pageSize, token)));
            page.objects().forEach(o -> paged.add(o.path().relativeToMount()));
            paged.addAll(page.commonPrefixes());
            token = page.continuation();
            pages++;
        } while (token.isPresent() && pages < 500);
        return paged;
    }

    @Test
    void readsOfUfsOnlyObjectsAreCachedAsEvictableData() throws Exception {
        start();
        byte[] body = bytes(1_500_000, 30);
        putUfs("rt/obj", body);
        assertThat(f.read("/m/rt/obj")).isEqualTo(body);

        ObjectInfo cached = f.cache.stat(p("/m/rt/obj")).join().orElseThrow();
        assertThat(cached.persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(worker.catalog().files().lookup(p("/m/rt/obj"))).isPresent();
        assertThat(worker.logStore().stats().evictableBytes()).isEqualTo(body.length);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(f.drain()).as("a loaded object is never uploaded back").isZero();

        // Served from the cache now: the UFS copy can change underneath without affecting reads.
        Files.delete(ufs("rt/obj"));
        assertThat(f.read("/m/rt/obj")).isEqualTo(body);
    }

    /** Waits (bounded) until no load behind a read is queued or running. */
    private void awaitLoadsBehind() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (worker.cacheService().readThrough().loadsBehind() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(worker.cacheService().readThrough().loadsBehind()).as("loads behind reads still running").isZero();
    }

    @Test
    void aSmallUfsOnlyObjectIsAnsweredFromOneFetchAndCachedBehindTheRead() throws Exception {
        start();
        byte[] body = bytes(100_000, 31);
        putUfs("rt/small", body);
        try (ObjectReader r = WorkerCacheService.await(f.cache.open(p("/m/rt/small")))) {
            assertThat(r.info().size()).isEqualTo(body.length);
            assertThat(CacheFixture.readAll(r)).isEqualTo(body);
            ByteBuffer mid = WorkerCacheService.await(r.read(99_990, 100));
            assertThat(mid.remaining()).as("a read past the end is cut at the end").isEqualTo(10);
            assertThat(WorkerCacheService.await(r.read(body.length, 1)).remaining()).isZero();
        }
        awaitLoadsBehind();
        ObjectInfo cached = f.cache.stat(p("/m/rt/small")).join().orElseThrow();
        assertThat(cached.persistStatus()).isEqualTo(PersistStatus.PERSISTED);
        assertThat(worker.catalog().files().lookup(p("/m/rt/small"))).isPresent();
        assertThat(worker.logStore().stats().evictableBytes()).isEqualTo(body.length);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(f.drain()).as("a loaded object is never uploaded back").isZero();
        Files.delete(ufs("rt/small"));
        assertThat(f.read("/m/rt/small")).as("served from the cache now").isEqualTo(body);
    }

    @Test
    void aWriteRightAfterAColdReadWinsOverTheLoadBehindIt() throws Exception {
        start();
        byte[] old = bytes(20_000, 32);
        byte[] fresh = bytes(30_000, 33);
        for (int round = 0; round < 5; round++) {
            String path = "/m/rt/race" + round;
            putUfs("rt/race" + round, old);
            try (ObjectReader r = WorkerCacheService.await(f.cache.open(p(path)))) {
                f.write(path, fresh);
                assertThat(CacheFixture.readAll(r)).as("an open reader keeps the version it opened").isEqualTo(old);
            }
            awaitLoadsBehind();
            assertThat(f.read(path)).as("round %d: the write is the path's version", round).isEqualTo(fresh);
            assertThat(f.cache.stat(p(path)).join().orElseThrow().persistStatus())
                    .isEqualTo(PersistStatus.NOT_PERSISTED);
        }
    }

    @Test
    void aListingRightAfterAColdReadShowsTheObjectWhileItsLoadCommits() throws Exception {
        start();
        for (int i = 0; i < 40; i++) {
            putUfs("rl/k" + i, bytes(2_000, 40 + i));
        }
        for (int i = 0; i < 40; i++) {
            f.read("/m/rl/k" + i);
            ListResult l = WorkerCacheService.await(f.cache.list(new ListQuery(p("/m"), "rl/", "", "", 1000,
                    Optional.empty())));
            assertThat(l.objects()).as("listing right after the read of rl/k%d", i).hasSize(40);
        }
        awaitLoadsBehind();
    }

    @Test
    void concurrentColdReadsOfOneObjectAllGetItsBytes() throws Exception {
        start();
        byte[] body = bytes(50_000, 34);
        putUfs("rt/many", body);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                reads.add(pool.submit(() -> f.read("/m/rt/many")));
            }
            for (java.util.concurrent.Future<byte[]> r : reads) {
                assertThat(r.get()).isEqualTo(body);
            }
        } finally {
            pool.shutdownNow();
        }
        awaitLoadsBehind();
        assertThat(worker.catalog().files().lookup(p("/m/rt/many"))).isPresent();
        Files.delete(ufs("rt/many"));
        assertThat(f.read("/m/rt/many")).isEqualTo(body);
    }

    @Test
    void sweepsAbortDanglingAndOrphanedSessionsAndReclaimTheirSpace() throws Exception {
        start("worker.mark.writing.files.duration=300ms", "write.cache.async.check.orphan.timeout=1500ms",
                "write.cache.async.file.check.period=1h");
        SessionSweeper sweeper = worker.sweeper();
        byte[] mib = bytes(1024 * 1024, 40);

        WriteSession dangling = f.open("/m/s/dangling");
        WorkerCacheService.await(dangling.append(ByteBuffer.wrap(mib)));
        WriteSession busy = f.open("/m/s/busy");
        WorkerCacheService.await(busy.append(ByteBuffer.wrap(mib)));
        // An append returns once its bytes are copied; the full records reach the log just after.
        long settle = System.nanoTime() + 5_000_000_000L;
        while (worker.logStore().stats().pinnedBytes() < 2L * mib.length && System.nanoTime() < settle) {
            Thread.sleep(5);
        }
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(2L * mib.length);

        long until = System.nanoTime() + 600_000_000L;
        while (System.nanoTime() < until) {
            WorkerCacheService.await(busy.append(ByteBuffer.wrap(mib)));
            Thread.sleep(100);
        }
        SessionSweeper.SweepResult first = sweeper.sweepNow();
        assertThat(first.dangling()).isEqualTo(1);
        assertThat(first.orphans()).isZero();
        assertThatThrownBy(() -> WorkerCacheService.await(dangling.commit())).isInstanceOf(WcacheException.class);

        until = System.nanoTime() + 1_200_000_000L;
        while (System.nanoTime() < until) {
            WorkerCacheService.await(busy.append(ByteBuffer.wrap(bytes(1024 * 1024, 41))));
            Thread.sleep(100);
        }
        SessionSweeper.SweepResult second = sweeper.sweepNow();
        assertThat(second.orphans()).as("an active session older than the orphan timeout").isEqualTo(1);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(f.cache.stat(p("/m/s/busy")).join()).isEmpty();
    }
}
