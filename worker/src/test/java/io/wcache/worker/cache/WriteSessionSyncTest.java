package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write is acknowledged at its commit only, so its log records are made durable by the commit's
 * sync, not one batch at a time as they arrive: a large write (a FUSE file, an S3 PUT of several
 * records) costs the log about one {@code fdatasync}, not one per record or two.
 */
class WriteSessionSyncTest {

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
    void aLargeWriteSyncsTheLogAtItsCommitNotPerRecord() {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        byte[] body = bytes(24 * RecordStager.RECORD + 4321, 3);
        long before = worker.logStore().stats().syncs();
        // 128 KiB appends, as the FUSE mount hands them over.
        f.write("/m/large", body, 128 * 1024);
        long syncs = worker.logStore().stats().syncs() - before;
        // 25 records: before, each batch of them synced (one sync per one to four records).
        assertThat(syncs).as("log syncs for a 24 MiB write").isLessThanOrEqualTo(2);
        assertThat(f.read("/m/large")).isEqualTo(body);
    }
}
