package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.cache.PersistStatus;
import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.segment.SegmentFormat;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.admin.AdminApi;
import io.wcache.worker.admin.AdminViews.FileView;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fault costs only what it touched. One byte flipped in one record of a segment: restart
 * recovery skips that record (the scanner resynchronises on the next one), every other object
 * stays readable, the damaged object is served from the UFS if it was persisted and is reported
 * {@code DAMAGED} (reads fail saying so) if not, and nothing in the UFS is ever deleted by recovery.
 */
class DamagedRecordRecoveryTest {

    private static final int OBJECTS = 10;
    private static final int SIZE = 100 * 1024;

    @TempDir
    Path root;

    Worker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    /** The scenario: ten WRITE_BACK objects persisted, the UFS down, all ten overwritten, one byte flipped. */
    @Test
    void oneFlippedByteInAnUnpersistedVersionCostsOnlyThatObjectAndNothingInTheUfs() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        for (int i = 0; i < OBJECTS; i++) {
            f.write(path(i), bytes(SIZE, i), SIZE);
        }
        assertThat(f.drain()).isEqualTo(OBJECTS);
        for (int i = 0; i < OBJECTS; i++) {
            assertThat(Files.readAllBytes(ufsFile(i))).isEqualTo(bytes(SIZE, i));
        }
        Path away = ufsDown();
        for (int i = 0; i < OBJECTS; i++) {
            f.write(path(i), bytes(SIZE, 100 + i), SIZE);
        }
        f.drain();
        assertThat(worker.catalog().persistQueue().pendingTasks(100)).as("the UFS is down: nothing uploads").hasSize(OBJECTS);
        int victim = 4;
        Location damagedAt = onlyExtent(worker, path(victim));
        worker.close();
        worker = null;

        flip(damagedAt.segmentId(), damagedAt.position() + SegmentFormat.RECORD_HEADER_SIZE + 5_000);
        // The local UFS must be a directory for the worker to start; nothing persists until the drain below.
        ufsBack(away);

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).isEqualTo(1);
        for (int i = 0; i < OBJECTS; i++) {
            if (i != victim) {
                assertThat(f.read(path(i))).as("object %d is untouched", i).isEqualTo(bytes(SIZE, 100 + i));
            }
        }
        FileVersion v = worker.catalog().files().lookup(p(path(victim))).orElseThrow();
        assertThat(v.damaged()).as("reported, not rolled back").isTrue();
        assertThat(v.generation()).as("still the acknowledged version").isEqualTo(2);
        assertThat(v.damage()).contains("CRC32C");
        CacheFixture reader = f;
        assertThatThrownBy(() -> reader.read(path(victim)))
                .isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("damaged").hasMessageContaining("not persisted");
        assertThat(WorkerCacheService.await(f.cache.stat(p(path(victim)))).orElseThrow().persistStatus())
                .isEqualTo(PersistStatus.DAMAGED);
        AdminApi admin = new AdminApi(worker, Clock.systemUTC());
        FileView stat = admin.stat(path(victim));
        assertThat(stat.state()).isEqualTo("DAMAGED");
        assertThat(stat.persistState()).isEqualTo("DAMAGED");
        assertThat(admin.list("/m", false).entries()).filteredOn(e -> e.path().equals(path(victim)))
                .singleElement().satisfies(e -> assertThat(e.state()).isEqualTo("DAMAGED"));

        f.drain();
        for (int i = 0; i < OBJECTS; i++) {
            byte[] expected = i == victim ? bytes(SIZE, i) : bytes(SIZE, 100 + i);
            assertThat(Files.readAllBytes(ufsFile(i))).as("UFS copy of object %d", i).isEqualTo(expected);
        }
        assertThat(worker.catalog().persistQueue().pendingTasks(100)).singleElement().satisfies(t -> {
            assertThat(t.path()).isEqualTo(p(path(victim)));
            assertThat(t.lastError().orElseThrow()).contains("damaged");
        });

        // A client's overwrite replaces the damaged version as usual.
        f.write(path(victim), bytes(SIZE, 7));
        assertThat(f.read(path(victim))).isEqualTo(bytes(SIZE, 7));
        f.drain();
        assertThat(Files.readAllBytes(ufsFile(victim))).isEqualTo(bytes(SIZE, 7));

        // The damaged mark and the intact objects survive another restart unchanged.
        worker.close();
        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        for (int i = 0; i < OBJECTS; i++) {
            assertThat(f.read(path(i))).isEqualTo(i == victim ? bytes(SIZE, 7) : bytes(SIZE, 100 + i));
        }
    }

    @Test
    void damagedPersistedVersionIsReadFromTheUfs() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        for (int i = 0; i < OBJECTS; i++) {
            f.write(path(i), bytes(SIZE, i), SIZE);
        }
        assertThat(f.drain()).isEqualTo(OBJECTS);
        int victim = 7;
        Location damagedAt = onlyExtent(worker, path(victim));
        worker.close();
        worker = null;

        flip(damagedAt.segmentId(), damagedAt.position() + SegmentFormat.RECORD_HEADER_SIZE + 123);

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).isZero();
        assertThat(worker.recovery().extentsDroppedToUfs()).isEqualTo(1);
        for (int i = 0; i < OBJECTS; i++) {
            assertThat(f.read(path(i))).as("object %d", i).isEqualTo(bytes(SIZE, i));
        }
        FileVersion v = worker.catalog().files().lookup(p(path(victim))).orElseThrow();
        assertThat(v.persistState()).isEqualTo(PersistState.PERSISTED);
        assertThat(v.damaged()).isFalse();
        assertThat(worker.catalog().files().extents(v.fileId())).as("served from the UFS from now on").isEmpty();
        assertThat(Files.readAllBytes(ufsFile(victim))).isEqualTo(bytes(SIZE, victim));
    }

    @Test
    void flipsInASealedSegmentFoundByReadsServeThePersistedVersionFromTheUfsAndMarkTheOtherDamaged() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        f.write(path(0), bytes(SIZE, 0), SIZE);
        assertThat(f.drain()).isEqualTo(1);
        f.write(path(1), bytes(SIZE, 1), SIZE);
        Location persisted = onlyExtent(worker, path(0));
        Location unpersisted = onlyExtent(worker, path(1));
        for (int i = 0; i < 5; i++) {
            f.write("/m/fill-" + i, bytes(1 << 20, 50 + i));
        }
        assertThat(onlyExtentSegment(worker, "/m/fill-4")).as("the first segment was rolled and sealed")
                .isNotEqualTo(persisted.segmentId());
        worker.close();
        worker = null;
        flip(persisted.segmentId(), persisted.position() + SegmentFormat.RECORD_HEADER_SIZE + 10);
        flip(unpersisted.segmentId(), unpersisted.position() + SegmentFormat.RECORD_HEADER_SIZE + SIZE - 1);

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).as("a sealed segment is not scanned at open").isZero();
        assertThat(f.read(path(0))).as("read from the UFS").isEqualTo(bytes(SIZE, 0));
        assertThat(worker.catalog().files().extents(worker.catalog().files().lookup(p(path(0))).orElseThrow().fileId())).isEmpty();
        assertThat(f.read(path(0))).isEqualTo(bytes(SIZE, 0));
        CacheFixture reader = f;
        assertThatThrownBy(() -> reader.read(path(1))).isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("damaged");
        assertThat(worker.catalog().files().lookup(p(path(1))).orElseThrow().damaged()).isTrue();
        assertThat(WorkerCacheService.await(f.cache.stat(p(path(1)))).orElseThrow().persistStatus())
                .isEqualTo(PersistStatus.DAMAGED);
        for (int i = 0; i < 5; i++) {
            assertThat(f.read("/m/fill-" + i)).isEqualTo(bytes(1 << 20, 50 + i));
        }
        f.drain();
        assertThat(Files.exists(ufsFile(1))).as("never uploaded").isFalse();
        assertThat(Files.readAllBytes(ufsFile(0))).isEqualTo(bytes(SIZE, 0));
    }

    @Test
    void compactionThatMeetsAFlippedByteOfAnUnpersistedVersionMarksItDamagedInsteadOfLeavingA404() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        f.write(path(0), bytes(SIZE, 0), SIZE);
        Location victim = onlyExtent(worker, path(0));
        List<String> fillers = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fillers.add("/m/fill-" + i);
            f.write("/m/fill-" + i, bytes(1 << 20, 60 + i));
        }
        assertThat(onlyExtentSegment(worker, "/m/fill-3")).as("the victim's segment is sealed")
                .isNotEqualTo(victim.segmentId());
        for (String filler : fillers) {
            assertThat(f.cache.delete(p(filler)).join()).isTrue();
        }
        flip(victim.segmentId(), victim.position() + SegmentFormat.RECORD_HEADER_SIZE + 99);

        worker.logStore().reclaimNow();

        FileVersion v = worker.catalog().files().lookup(p(path(0))).orElseThrow();
        assertThat(v.damaged()).as("reported, not a version whose reads answer 404").isTrue();
        CacheFixture reader = f;
        assertThatThrownBy(() -> reader.read(path(0))).isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("damaged");
        assertThat(WorkerCacheService.await(f.cache.stat(p(path(0)))).orElseThrow().persistStatus())
                .isEqualTo(PersistStatus.DAMAGED);
    }

    private static long onlyExtentSegment(Worker w, String path) {
        List<Extent> extents = w.catalog().files().layout(p(path)).orElseThrow().extents();
        return ExtentCodec.toLocation(extents.get(extents.size() - 1)).segmentId();
    }

    private static String path(int i) {
        return "/m/obj-" + i;
    }

    private Path ufsFile(int i) {
        return TestWorkers.ufsDir(root).resolve("obj-" + i);
    }

    /** The UFS directory replaced by a plain file: every UFS write fails. */
    private Path ufsDown() throws Exception {
        Path ufs = TestWorkers.ufsDir(root);
        Path away = root.resolve("ufs-away");
        Files.move(ufs, away);
        Files.writeString(ufs, "not a directory");
        return away;
    }

    private void ufsBack(Path away) throws Exception {
        Path ufs = TestWorkers.ufsDir(root);
        Files.delete(ufs);
        Files.move(away, ufs);
    }

    private static Location onlyExtent(Worker w, String path) {
        List<Extent> extents = w.catalog().files().layout(p(path)).orElseThrow().extents();
        assertThat(extents).hasSize(1);
        return ExtentCodec.toLocation(extents.get(0));
    }

    private void flip(long segmentId, long at) throws Exception {
        Path segment;
        try (Stream<Path> files = Files.walk(root.resolve("cache"))) {
            segment = files.filter(x -> x.getFileName().toString().equals(Segment.fileName(segmentId))).findFirst()
                    .orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x01)).flip();
            ch.write(one, at);
        }
    }
}
