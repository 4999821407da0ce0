package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PartRef;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.Location;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import io.wcache.worker.sweep.SessionSweeper;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The life of a multipart upload beyond the happy path: abandoned uploads are swept and give their
 * pinned space back, a completed upload's log records are known under the new file id to every
 * holder of extent locations, and a retried completion is answered like the first.
 */
class MultipartLifecycleTest {

    @TempDir
    Path root;

    Worker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private static String uploadPart(WorkerCacheService cache, NamespacePath path, String uploadId, int n, byte[] body) {
        WriteSession s = WorkerCacheService.await(cache.uploadPart(path, uploadId, n));
        WorkerCacheService.await(s.append(ByteBuffer.wrap(body)));
        return WorkerCacheService.await(s.commit()).etag();
    }

    @Test
    void abandonedUploadsNoLongerExhaustThePinnedCapAfterTheSweep() {
        // 4 MiB of pinned space; uploads idle for more than 1 ms are orphans; the periodic sweep stays out of the way.
        worker = TestWorkers.start(root, "cache.capacity=32MiB", "worker.page.store.pinned.file.capacity.limit.ratio=0.125",
                "write.cache.async.check.orphan.timeout=1ms", "write.cache.async.file.check.period=1h");
        CacheFixture f = new CacheFixture(worker);
        List<String> abandoned = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            NamespacePath path = p("/m/abandoned/" + i);
            String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
            uploadPart(f.cache, path, id, 1, bytes(1024 * 1024, i));
            abandoned.add(id);
        }
        assertThatThrownBy(() -> f.write("/m/blocked", bytes(1024 * 1024, 9)))
                .as("four abandoned 1 MiB parts fill the pinned cap").isInstanceOf(WcacheException.OutOfSpace.class);
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(4L << 20);

        // Await a clock tick past the last part, so every upload is idle for longer than the timeout.
        Instant lastPart = Instant.now();
        for (int i = 0; i < 1_000_000 && !Instant.now().isAfter(lastPart.plusMillis(2)); i++) {
            Thread.onSpinWait();
        }
        SessionSweeper.SweepResult r = worker.sweeper().sweepNow();
        assertThat(r.abandonedUploads()).isEqualTo(4);
        assertThat(r.bytesReclaimed()).isEqualTo(4L << 20);
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(WorkerCacheService.await(f.cache.listMultipartUploads("/m/abandoned/"))).isEmpty();
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.listParts(p("/m/abandoned/0"), abandoned.get(0))))
                .isInstanceOf(WcacheException.NotFound.class);
        byte[] body = bytes(1024 * 1024, 9);
        f.write("/m/blocked", body);
        assertThat(f.read("/m/blocked")).isEqualTo(body);
    }

    @Test
    void anUploadWithRecentPartsIsNotAnOrphan() {
        worker = TestWorkers.start(root, "write.cache.async.file.check.period=1h");
        CacheFixture f = new CacheFixture(worker);
        NamespacePath path = p("/m/active");
        String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        String etag = uploadPart(f.cache, path, id, 1, bytes(1000, 1));
        assertThat(worker.sweeper().sweepNow().abandonedUploads()).isZero();
        ObjectInfo done = WorkerCacheService.await(f.cache.completeMultipart(path, id, List.of(new PartRef(1, etag))));
        assertThat(f.read("/m/active")).isEqualTo(bytes(1000, 1));
        assertThat(done.size()).isEqualTo(1000);
    }

    @Test
    void completionLeavesEveryPartRecordFoundByItsLocationUnderTheNewFileId() {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        NamespacePath path = p("/m/assembled");
        String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        byte[] one = bytes(5 * 1024 * 1024, 1);
        byte[] two = bytes(3 * 1024 * 1024, 2);
        String e1 = uploadPart(f.cache, path, id, 1, one);
        String e2 = uploadPart(f.cache, path, id, 2, two);
        WorkerCacheService.await(f.cache.completeMultipart(path, id, List.of(new PartRef(1, e1), new PartRef(2, e2))));

        List<Extent> extents = worker.catalog().files().layout(path).orElseThrow().extents();
        assertThat(extents).isNotEmpty();
        for (Extent e : extents) {
            Location loc = ExtentCodec.toLocation(e);
            assertThat(worker.catalog().locations().extentAt(worker.options().workerId(), ExtentCodec.segment(loc.dir(), loc.segmentId()),
                    loc.position())).as("the Catalog's extent at %s", loc).contains(e);
        }
    }

    @Test
    void aPartWhoseRecordsAreCompactedWhileItIsUploadedCompletesByteIdentical() {
        // 8 MiB segments: one 1 MiB record of a part among 7 MiB of deleted objects is far below the compaction threshold.
        worker = Worker.start(TestWorkers.config(root), WorkerOptions.defaults().withPersister(false)
                .withSegmentSize(8L << 20), List.of());
        CacheFixture f = new CacheFixture(worker);
        for (int i = 0; i < 5; i++) {
            f.write("/m/junk/a" + i, bytes(1024 * 1024, 100 + i));
        }
        NamespacePath path = p("/m/moved-part");
        String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        PartWriteSession part = (PartWriteSession) WorkerCacheService.await(f.cache.uploadPart(path, id, 1));
        byte[] body = bytes(1536 * 1024, 7);
        WorkerCacheService.await(part.append(ByteBuffer.wrap(body, 0, 1024 * 1024)));
        WorkerCacheService.await(part.published());
        long segment = worker.logStore().scanRecords().stream().filter(r -> r.fileOffset() == 0)
                .map(r -> r.location().segmentId()).filter(s -> s >= 0).max(Long::compare).orElseThrow();
        for (int i = 0; i < 4; i++) {
            f.write("/m/junk/b" + i, bytes(1024 * 1024, 200 + i));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(WorkerCacheService.await(f.cache.delete(p("/m/junk/a" + i)))).isTrue();
        }
        assertThat(WorkerCacheService.await(f.cache.delete(p("/m/junk/b0")))).isTrue();
        var reclaimed = worker.logStore().reclaimNow();
        assertThat(reclaimed.compactedSegments()).as("the segment holding the part's first record was compacted")
                .isPositive();
        assertThat(worker.logStore().scanRecords()).noneMatch(r -> r.location().segmentId() == segment);

        WorkerCacheService.await(part.append(ByteBuffer.wrap(body, 1024 * 1024, body.length - 1024 * 1024)));
        String etag = WorkerCacheService.await(part.commit()).etag();
        WorkerCacheService.await(f.cache.completeMultipart(path, id, List.of(new PartRef(1, etag))));
        assertThat(f.read("/m/moved-part")).isEqualTo(body);
        // And the Catalog, not only this process, knows where the bytes are: after a restart they still read back.
        worker.close();
        worker = TestWorkers.start(root);
        assertThat(new CacheFixture(worker).read("/m/moved-part")).isEqualTo(body);
    }

    @Test
    void aRetriedCompletionAnswersLikeTheFirstAndADifferentPartListIsRefused() {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        NamespacePath path = p("/m/retried");
        String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        String e1 = uploadPart(f.cache, path, id, 1, bytes(5 * 1024 * 1024, 1));
        String e2 = uploadPart(f.cache, path, id, 2, bytes(1000, 2));
        List<PartRef> parts = List.of(new PartRef(1, e1), new PartRef(2, e2));
        ObjectInfo first = WorkerCacheService.await(f.cache.completeMultipart(path, id, parts));
        ObjectInfo again = WorkerCacheService.await(f.cache.completeMultipart(path, id, parts));
        assertThat(again.etag()).isEqualTo(first.etag());
        assertThat(again.size()).isEqualTo(first.size());
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.completeMultipart(path, id, List.of(new PartRef(1, e1)))))
                .isInstanceOf(WcacheException.NotFound.class);
        assertThat(WorkerCacheService.await(f.cache.listMultipartUploads("/m/"))).isEmpty();
        // Overwritten since: the retry still answers what the completion created.
        f.write("/m/retried", bytes(10, 3));
        assertThat(WorkerCacheService.await(f.cache.completeMultipart(path, id, parts)).etag()).isEqualTo(first.etag());
    }

    @Test
    void theSweepForgetsACompletedUploadAfterTheOrphanTimeout() {
        worker = TestWorkers.start(root, "write.cache.async.check.orphan.timeout=1ms", "write.cache.async.file.check.period=1h");
        CacheFixture f = new CacheFixture(worker);
        NamespacePath path = p("/m/forgotten");
        String id = WorkerCacheService.await(f.cache.createMultipart(path, WriteOptions.defaults())).uploadId();
        List<PartRef> parts = List.of(new PartRef(1, uploadPart(f.cache, path, id, 1, bytes(100, 1))));
        String etag = WorkerCacheService.await(f.cache.completeMultipart(path, id, parts)).etag();
        assertThat(WorkerCacheService.await(f.cache.completeMultipart(path, id, parts)).etag()).isEqualTo(etag);
        Instant completed = Instant.now();
        for (int i = 0; i < 1_000_000 && !Instant.now().isAfter(completed.plusMillis(2)); i++) {
            Thread.onSpinWait();
        }
        worker.sweeper().sweepNow();
        assertThat(worker.catalog().multipart().completedUpload(id)).isEmpty();
        assertThatThrownBy(() -> WorkerCacheService.await(f.cache.completeMultipart(path, id, parts)))
                .isInstanceOf(WcacheException.NotFound.class);
        assertThat(f.read("/m/forgotten")).isEqualTo(bytes(100, 1));
    }
}
