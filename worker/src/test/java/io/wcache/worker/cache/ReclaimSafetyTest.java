package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.logstore.Location;
import io.wcache.logstore.eviction.ReclaimResult;
import io.wcache.logstore.segment.Segment;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileLayout;
import io.wcache.schema.catalog.FileState;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eviction and compaction never lose or cut live bytes: they move what the Catalog references
 * (whoever wrote it), keep what readers and uploads are reading, and leave alone the records of
 * a {@code WRITE_THROUGH} session that is still uploading.
 */
class ReclaimSafetyTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path root;

    Worker worker;
    CacheFixture f;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    /** 16 MiB segments: a segment holds fifteen records, so one record in five is under the compaction threshold. */
    private void start(String... sets) {
        start(16L << 20, sets);
    }

    private void start(long segmentSize, String... sets) {
        worker = Worker.start(TestWorkers.config(root, sets),
                WorkerOptions.defaults().withPersister(false).withSegmentSize(segmentSize), List.of());
        f = new CacheFixture(worker);
        for (WritePolicy policy : WritePolicy.values()) {
            worker.catalog().cluster().putPathRule(new PathRule(p("/m/" + policy.name().toLowerCase()), policy, 1));
        }
        f.cache.refreshPathConfig();
    }

    /**
     * Appends {@code body} to {@code session} one MiB at a time and writes {@code fillersPerMib}
     * one-MiB filler objects after each, so the session's records share segments with fillers
     * that are deleted later. Returns the filler paths.
     */
    private List<String> interleave(WriteSession session, byte[] body, String fillerDir, int fillersPerMib, long seed) {
        List<String> fillers = new ArrayList<>();
        for (int off = 0; off < body.length; off += MIB) {
            WorkerCacheService.await(session.append(ByteBuffer.wrap(body, off, Math.min(MIB, body.length - off))));
            for (int i = 0; i < fillersPerMib; i++) {
                String path = fillerDir + "/" + seed + "-" + off / MIB + "-" + i;
                f.write(path, bytes(MIB, seed * 1000 + off / MIB * 10 + i), MIB);
                fillers.add(path);
            }
        }
        return fillers;
    }

    /**
     * Deletes the fillers, then writes 16 MiB that stay, so every segment holding the records
     * under test is sealed (only sealed segments are compacted or evicted).
     */
    private void deleteAllAndSeal(List<String> paths) {
        for (String path : paths) {
            assertThat(f.cache.delete(p(path)).join()).isTrue();
        }
        for (int i = 0; i < 16; i++) {
            f.write("/m/transient/tail/" + i + "-" + paths.size(), bytes(MIB, 7_000 + i), MIB);
        }
    }

    private Set<Long> segmentsOf(List<Extent> extents) {
        return extents.stream().map(e -> ExtentCodec.toLocation(e).segmentId()).collect(Collectors.toSet());
    }

    private boolean segmentFileExists(long segmentId) {
        return Files.exists(root.resolve("cache").resolve(Segment.fileName(segmentId)));
    }

    @Test
    void completedMultipartObjectSurvivesCompactionOfItsSegments() {
        start();
        NamespacePath path = p("/m/transient/assembled");
        String uploadId = f.cache.createMultipart(path, WriteOptions.defaults()).join().uploadId();
        byte[] one = bytes(5 * MIB, 1);
        byte[] two = bytes(5 * MIB, 2);
        List<String> fillers = new ArrayList<>();
        List<PartRef> parts = new ArrayList<>();
        byte[][] bodies = {one, two};
        for (int n = 1; n <= 2; n++) {
            WriteSession part = f.cache.uploadPart(path, uploadId, n).join();
            fillers.addAll(interleave(part, bodies[n - 1], "/m/transient/fill", 4, n));
            parts.add(new PartRef(n, WorkerCacheService.await(part.commit()).etag()));
        }
        ObjectInfo info = f.cache.completeMultipart(path, uploadId, parts).join();
        assertThat(info.size()).isEqualTo(10L * MIB);
        FileLayout before = worker.catalog().files().layout(path).orElseThrow();

        deleteAllAndSeal(fillers);
        ReclaimResult r = worker.logStore().reclaimNow();

        assertThat(r.compactedSegments()).as("the parts' segments were compacted").isPositive();
        FileLayout after = worker.catalog().files().layout(path).orElseThrow();
        assertThat(after.file().state()).isEqualTo(FileState.COMMITTED);
        Set<Long> deleted = segmentsOf(before.extents()).stream().filter(id -> !segmentFileExists(id))
                .collect(Collectors.toSet());
        assertThat(deleted).as("segments holding part records were deleted").isNotEmpty();
        assertThat(segmentsOf(after.extents())).as("the Catalog follows the moved part records")
                .doesNotContainAnyElementsOf(deleted);
        byte[] expected = new byte[10 * MIB];
        System.arraycopy(one, 0, expected, 0, one.length);
        System.arraycopy(two, 0, expected, one.length, two.length);
        assertThat(f.read(path.toString())).isEqualTo(expected);
        assertThat(worker.logStore().counters().segmentDeletesRefused.get()).isZero();
    }

    @Test
    void largeGetReadsTheWholeBodyWhileCompactionMovesItsRecords() {
        start();
        byte[] body = bytes(6 * MIB, 3);
        WriteSession s = f.open("/m/write_back/big");
        List<String> fillers = interleave(s, body, "/m/write_back/fill", 4, 3);
        WorkerCacheService.await(s.commit());
        List<Extent> before = worker.catalog().files().layout(p("/m/write_back/big")).orElseThrow().extents();

        try (ObjectReader reader = WorkerCacheService.await(f.cache.open(p("/m/write_back/big")))) {
            // The first MiB is read before the move, the rest after it: one GET cut by compaction.
            ByteBuffer head = WorkerCacheService.await(reader.read(0, MIB));
            deleteAllAndSeal(fillers);
            assertThat(worker.logStore().reclaimNow().compactedSegments()).isPositive();
            assertThat(segmentsOf(before)).as("a segment the GET reads from was deleted")
                    .anySatisfy(id -> assertThat(segmentFileExists(id)).isFalse());
            ByteBuffer rest = WorkerCacheService.await(reader.read(MIB, body.length - MIB));
            byte[] got = new byte[body.length];
            head.get(got, 0, MIB);
            rest.get(got, MIB, body.length - MIB);
            assertThat(got).isEqualTo(body);
        }
        assertThat(f.read("/m/write_back/big")).as("a new reader finds the moved records").isEqualTo(body);
    }

    @Test
    void uploadWhoseExtentsMovedBeforeItStartedReadsThemWhereTheCatalogSays() throws Exception {
        start();
        byte[] body = bytes(5 * MIB, 4);
        WriteSession s = f.open("/m/write_back/up");
        List<String> fillers = interleave(s, body, "/m/write_back/fill", 4, 4);
        WorkerCacheService.await(s.commit());
        // The layout an upload started from (as a commit event hands it over), then compaction.
        FileLayout stale = worker.catalog().files().layout(p("/m/write_back/up")).orElseThrow();
        deleteAllAndSeal(fillers);
        assertThat(worker.logStore().reclaimNow().compactedSegments()).isPositive();

        worker.uploader().upload(stale.file(), stale.extents());

        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("write_back/up"))).isEqualTo(body);
    }

    @Test
    void uploadInFlightKeepsItsSegmentsAcrossCompaction() {
        start();
        byte[] body = bytes(3 * MIB, 5);
        WriteSession s = f.open("/m/write_back/lease");
        List<String> fillers = interleave(s, body, "/m/write_back/fill", 4, 5);
        WorkerCacheService.await(s.commit());
        FileLayout layout = worker.catalog().files().layout(p("/m/write_back/lease")).orElseThrow();
        List<Location> locations = layout.extents().stream().map(ExtentCodec::toLocation).toList();
        var local = io.wcache.persister.async.LocalExtents.of(worker.logStore(), worker.options().workerId());
        try (var leased = local.lease(layout.extents())) {
            deleteAllAndSeal(fillers);
            assertThat(worker.logStore().reclaimNow().compactedSegments()).isPositive();
            assertThat(locations).as("a segment the upload reads from was deleted")
                    .anySatisfy(l -> assertThat(segmentFileExists(l.segmentId())).isFalse());
            ByteBuffer all = ByteBuffer.allocate(body.length);
            for (Extent e : layout.extents()) {
                all.put(leased.read(e, 0, (int) e.length()));
            }
            assertThat(all.array()).isEqualTo(body);
        }
    }

    @Test
    void evictionLeavesTheRecordsOfAnUncommittedWriteThroughSession() throws Exception {
        // 32 MiB of cache: the session's 6 MiB plus 24 MiB of persisted objects pass the high watermark.
        start(4L << 20, "cache.capacity=32MiB");
        byte[] body = bytes(6 * MIB, 6);
        WriteSession s = f.open("/m/write_through/slow");
        for (int off = 0; off < body.length; off += MIB) {
            WorkerCacheService.await(s.append(ByteBuffer.wrap(body, off, MIB)));
        }
        for (int i = 0; i < 24; i++) {
            f.write("/m/write_through/other/" + i, bytes(MIB, 100 + i), MIB);
        }
        worker.logStore().reclaimNow();
        assertThat(worker.logStore().stats().evictions()).as("cache pressure evicted segments").isPositive();

        ObjectInfo info = WorkerCacheService.await(s.commit());

        assertThat(info.size()).isEqualTo(body.length);
        assertThat(f.read("/m/write_through/slow")).isEqualTo(body);
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("write_through/slow"))).isEqualTo(body);
    }

    @Test
    void writeThroughSessionWaitingToUploadIsNotSweptAsDangling() throws Exception {
        worker = Worker.start(TestWorkers.config(root, "path.default.policy=WRITE_THROUGH",
                        "worker.mark.writing.files.duration=300ms", "write.cache.async.file.check.period=50ms"),
                WorkerOptions.defaults().withSegmentSize(4L << 20), List.of());
        f = new CacheFixture(worker);
        NamespacePath path = p("/m/held");
        byte[] body = bytes(2 * MIB, 7);
        CompletableFuture<ObjectInfo> write = new CompletableFuture<>();
        // Hold the path as a running background upload would: the write waits to upload, appending nothing.
        worker.persister().exclusive(path, () -> {
            WriteSession s = f.open(path.toString());
            WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
            s.commit().whenComplete((i, e) -> {
                if (e != null) {
                    write.completeExceptionally(e);
                } else {
                    write.complete(i);
                }
            });
            long start = worker.sweeper().sweeps();
            // Twelve sweeps 50 ms apart: more than twice the 300 ms dangling timeout.
            for (int i = 0; i < 600 && worker.sweeper().sweeps() < start + 12; i++) {
                pause(10);
            }
            assertThat(worker.sweeper().sweeps()).isGreaterThanOrEqualTo(start + 12);
            assertThat(write).as("still waiting for the path").isNotDone();
            return null;
        });

        ObjectInfo info = write.get(30, TimeUnit.SECONDS);

        assertThat(info.size()).isEqualTo(body.length);
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("held"))).isEqualTo(body);
        assertThat(worker.sweeper().totals().dangling()).isZero();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
