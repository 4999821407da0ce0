package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.WriteSession;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
        // 25 records: before, each batch of them synced (one sync per one to four records). Now the
        // commit's, and one started (not waited for) per 8 MiB that arrived unsynced.
        assertThat(syncs).as("log syncs for a 24 MiB write").isLessThanOrEqualTo(1 + 24 / 8);
        assertThat(f.read("/m/large")).isEqualTo(body);
    }

    /**
     * The FUSE mount hands a session that copies on append the kernel request's own buffer, valid
     * only during the call, and awaits none of its appends but the session's backpressure: the
     * bytes must be taken before {@code append} returns. Each buffer here is overwritten as soon as
     * its append returned, before any append completed.
     */
    @Test
    void aSessionThatCopiesOnAppendHasTakenTheBytesWhenAppendReturns() {
        worker = TestWorkers.start(root);
        CacheFixture f = new CacheFixture(worker);
        byte[] body = bytes(5 * RecordStager.RECORD + 777, 11);
        WriteSession s = f.open("/m/copied-on-append");
        assertThat(s.copiesOnAppend()).isTrue();
        ByteBuffer request = ByteBuffer.allocateDirect(128 * 1024);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int off = 0; off < body.length; off += request.capacity()) {
            int n = Math.min(request.capacity(), body.length - off);
            request.clear();
            request.put(body, off, n).flip();
            pending.add(s.append(request));
            request.clear();
            while (request.hasRemaining()) {
                request.put((byte) 0x5a);
            }
        }
        pending.forEach(WorkerCacheService::await);
        WorkerCacheService.await(s.commit());
        assertThat(f.read("/m/copied-on-append")).isEqualTo(body);
    }
}
