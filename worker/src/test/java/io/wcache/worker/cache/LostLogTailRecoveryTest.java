package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Location;
import io.wcache.logstore.segment.Segment;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.Extent;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log bytes of a committed version lost between two runs of the worker (as when a disk loses
 * synced data in a power failure; a SIGKILL cannot show this, the page cache keeps the bytes), made
 * here by truncating the segment file. The write pipeline commits only after the log sync, so the
 * version was acknowledged: restart reports it {@code DAMAGED} instead of rolling it back, never
 * serves an older version in its place, and never touches the UFS; earlier data survives.
 */
class LostLogTailRecoveryTest {

    @TempDir
    Path root;

    Worker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void committedVersionWhoseLogBytesWereLostIsReportedDamagedAndEarlierDataSurvives() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        byte[] kept = bytes(10 * 1024, 1);
        f.write("/m/kept", kept);
        f.write("/m/lost", bytes(10 * 1024, 2));
        Location keptAt = location(worker, "/m/kept");
        Location lostAt = location(worker, "/m/lost");
        worker.close();
        worker = null;
        assertThat(lostAt.segmentId()).isEqualTo(keptAt.segmentId());
        assertThat(lostAt.position()).isGreaterThan(keptAt.position());

        Path segment = segmentFile(lostAt.segmentId());
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(lostAt.position());
        }

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).isEqualTo(1);
        assertThat(worker.catalog().files().lookup(p("/m/lost")).orElseThrow().damage()).contains("missing");
        CacheFixture reader = f;
        assertThatThrownBy(() -> reader.read("/m/lost")).isInstanceOf(WcacheException.Corruption.class)
                .hasMessageContaining("damaged");
        assertThat(f.read("/m/kept")).isEqualTo(kept);
        byte[] again = bytes(5000, 3);
        f.write("/m/lost", again);
        assertThat(f.read("/m/lost")).isEqualTo(again);
    }

    @Test
    void lostBytesOfAnOverwriteNeverDeleteOrReplaceTheOlderVersionInTheUfs() throws Exception {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        byte[] v1 = bytes(10 * 1024, 1);
        f.write("/m/obj", v1);
        assertThat(f.drain()).isEqualTo(1);
        f.write("/m/obj", bytes(10 * 1024, 2));
        Location lostAt = location(worker, "/m/obj");
        worker.close();
        worker = null;
        try (FileChannel ch = FileChannel.open(segmentFile(lostAt.segmentId()), StandardOpenOption.WRITE)) {
            ch.truncate(lostAt.position());
        }

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.recovery().versionsDamaged()).isEqualTo(1);
        assertThat(worker.catalog().files().lookup(p("/m/obj")).orElseThrow().generation()).isEqualTo(2);
        assertThat(worker.catalog().files().tombstone(p("/m/obj"))).as("no delete").isEmpty();
        f.drain();
        assertThat(Files.readAllBytes(TestWorkers.ufsDir(root).resolve("obj"))).as("UFS copy kept").isEqualTo(v1);
        CacheFixture reader = f;
        assertThatThrownBy(() -> reader.read("/m/obj")).as("not silently replaced by the older version")
                .isInstanceOf(WcacheException.Corruption.class);
    }

    private static Location location(Worker w, String path) {
        List<Extent> extents = w.catalog().files().layout(p(path)).orElseThrow().extents();
        assertThat(extents).hasSize(1);
        return ExtentCodec.toLocation(extents.get(0));
    }

    private Path segmentFile(long id) throws Exception {
        try (Stream<Path> files = Files.walk(root.resolve("cache"))) {
            return files.filter(x -> x.getFileName().toString().equals(Segment.fileName(id))).findFirst().orElseThrow();
        }
    }
}
