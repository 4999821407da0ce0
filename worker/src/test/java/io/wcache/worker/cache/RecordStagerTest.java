package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.digest.Md5;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The staging of a write session: records, and the ETag's MD5 taken off the appending thread. */
class RecordStagerTest {

    private final AtomicInteger hashTasks = new AtomicInteger();
    private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-hasher"));
    private final List<String> hashThreads = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private RecordStager stager() {
        return new RecordStager(task -> {
            hashTasks.incrementAndGet();
            pool.execute(() -> {
                synchronized (hashThreads) {
                    hashThreads.add(Thread.currentThread().getName());
                }
                task.run();
            });
        });
    }

    private static byte[] body(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] md5(byte[] b) {
        return Md5.newDigest().digest(b);
    }

    @Test
    void fullRecordsAreHashedOnTheHasherAndTheDigestIsTheMd5OfEveryByte() {
        byte[] b = body(3 * RecordStager.RECORD + 12_345);
        RecordStager s = stager();
        List<ByteBuffer> records = new ArrayList<>();
        for (int off = 0; off < b.length; off += 100_003) {
            s.append(ByteBuffer.wrap(b, off, Math.min(100_003, b.length - off)), records::add);
        }
        assertThat(records).hasSize(3).allSatisfy(r -> assertThat(r.remaining()).isEqualTo(RecordStager.RECORD));
        byte[] digest = s.digest().join();
        // One hashing task per full record (each handed to the hasher once the one before it ran),
        // none for the bytes still staged; none ran on this thread.
        assertThat(hashTasks).hasValue(3);
        assertThat(hashThreads).hasSize(3).containsOnly("test-hasher");
        assertThat(digest).isEqualTo(md5(b));
        // The staged tail is still handed out whole after the digest.
        assertThat(s.take().remaining()).isEqualTo(12_345);
        // Hashing left the records as the log reads them.
        assertThat(records).allSatisfy(r -> assertThat(r.position()).isZero());
    }

    @Test
    void anObjectSmallerThanARecordIsHashedAtOnceByTheCaller() {
        byte[] b = body(200_000);
        RecordStager s = stager();
        s.append(ByteBuffer.wrap(b), r -> {
            throw new AssertionError("no full record expected");
        });
        var digest = s.digest();
        assertThat(digest).isDone();
        assertThat(digest.join()).isEqualTo(md5(b));
        assertThat(hashTasks).hasValue(0);
        assertThat(new RecordStager(pool).digest().join()).isEqualTo(md5(new byte[0]));
    }

    @Test
    void hashedCompletesOnlyOnceTheLastRecordWasHashed() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        RecordStager s = new RecordStager(task -> pool.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.run();
        }));
        byte[] b = body(RecordStager.RECORD + 1);
        s.append(ByteBuffer.wrap(b), r -> { });
        var digest = s.digest();
        assertThat(s.hashed()).isNotDone();
        assertThat(digest).isNotDone();
        release.countDown();
        assertThat(digest.get(30, TimeUnit.SECONDS)).isEqualTo(md5(b));
        assertThat(s.hashed()).isDone();
    }
}
