package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.logstore.Location;
import io.wcache.logstore.segment.Segment;
import io.wcache.pipeline.ExtentCodec;
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
 * The write path lets the Catalog commit overlap the log sync, which is safe only because restart
 * recovery rolls back a commit whose bytes did not survive. A SIGKILL cannot show this (the page
 * cache keeps unsynced bytes), so the lost tail of a power failure is made here by truncating the
 * segment file between two runs of the worker.
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
    void commitWhoseLogBytesWereLostIsRolledBackOnRestartAndEarlierDataSurvives() throws Exception {
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

        // As after a power failure between the Catalog's commit and the log's fdatasync.
        Path segment = segmentFile(lostAt.segmentId());
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(lostAt.position());
        }

        worker = TestWorkers.start(root);
        f = new CacheFixture(worker);
        assertThat(worker.catalog().lookup(p("/m/lost"))).as("rolled back, never half-visible").isEmpty();
        assertThat(f.read("/m/kept")).isEqualTo(kept);
        byte[] again = bytes(5000, 3);
        f.write("/m/lost", again);
        assertThat(f.read("/m/lost")).isEqualTo(again);
    }

    private static Location location(Worker w, String path) {
        List<Extent> extents = w.catalog().layout(p(path)).orElseThrow().extents();
        assertThat(extents).hasSize(1);
        return ExtentCodec.toLocation(extents.get(0));
    }

    private Path segmentFile(long id) throws Exception {
        try (Stream<Path> files = Files.walk(root.resolve("cache"))) {
            return files.filter(x -> x.getFileName().toString().equals(Segment.fileName(id))).findFirst().orElseThrow();
        }
    }
}
