package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.digest.Md5;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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

    private final RecordPool records = new RecordPool(RecordStager.RECORD, 4);

    private RecordStager stager() {
        return new RecordStager(task -> {
            hashTasks.incrementAndGet();
            pool.execute(() -> {
                synchronized (hashThreads) {
                    hashThreads.add(Thread.currentThread().getName());
                }
                task.run();
            });
        }, records);
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
        // The "log" holds the records until the end of the test: a buffer whose write completed may be
        // lent again (for the staged tail), so the write must not complete while the test reads it.
        CompletableFuture<Void> logDone = new CompletableFuture<>();
        for (int off = 0; off < b.length; off += 100_003) {
            s.append(ByteBuffer.wrap(b, off, Math.min(100_003, b.length - off)), r -> {
                records.add(r);
                return logDone;
            }, f -> { });
        }
        assertThat(records).hasSize(3).allSatisfy(r -> assertThat(r.remaining()).isEqualTo(RecordStager.RECORD));
        byte[] digest = s.digest().join();
        // One hashing task per full record (each handed to the hasher once the one before it ran),
        // none for the bytes still staged; none ran on this thread.
        assertThat(hashTasks).hasValue(3);
        assertThat(hashThreads).hasSize(3).containsOnly("test-hasher");
        assertThat(digest).isEqualTo(md5(b));
        // The staged tail is still handed out whole after the digest.
        assertThat(s.takeInto(last -> CompletableFuture.completedFuture(last.remaining())).join()).isEqualTo(12_345);
        // Hashing left the records as the log reads them.
        assertThat(records).allSatisfy(r -> assertThat(r.position()).isZero());
        logDone.complete(null);
    }

    @Test
    void aStagerWithoutMd5HandsOutTheSameRecordsAndTheirBuffersComeBackOnceWrittenWithoutAnyHashing() {
        byte[] b = body(2 * RecordStager.RECORD + 777);
        RecordStager s = RecordStager.withoutMd5(records);
        List<ByteBuffer> handed = new ArrayList<>();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        List<CompletableFuture<?>> tracked = new ArrayList<>();
        for (int off = 0; off < b.length; off += 65_536) {
            s.append(ByteBuffer.wrap(b, off, Math.min(65_536, b.length - off)), r -> {
                byte[] copy = new byte[r.remaining()];
                r.duplicate().get(copy);
                handed.add(ByteBuffer.wrap(copy));
                CompletableFuture<Void> w = new CompletableFuture<>();
                writes.add(w);
                return w;
            }, tracked::add);
        }
        assertThat(handed).hasSize(2);
        assertThat(handed.get(0).array()).isEqualTo(java.util.Arrays.copyOfRange(b, 0, RecordStager.RECORD));
        assertThat(handed.get(1).array()).isEqualTo(java.util.Arrays.copyOfRange(b, RecordStager.RECORD, 2 * RecordStager.RECORD));
        // What the caller tracks waits for the log's write only: there is no MD5 to wait for.
        assertThat(tracked).hasSize(2).noneMatch(CompletableFuture::isDone);
        writes.forEach(w -> w.complete(null));
        assertThat(tracked).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(s.hashed()).isDone();
        assertThat(s.digest().join()).as("no MD5 was taken").isNull();
        assertThat(s.takeInto(last -> CompletableFuture.completedFuture(last.remaining())).join()).isEqualTo(777);
    }

    @Test
    void aWriteSmallerThanARecordIsHashedAtItsCommitEvenWithoutMd5OnTheWay() {
        byte[] b = body(RecordStager.RECORD - 1);
        RecordStager s = RecordStager.withoutMd5(records);
        s.append(ByteBuffer.wrap(b), r -> {
            throw new AssertionError("no full record expected");
        });
        assertThat(s.digest().join()).isEqualTo(md5(b));
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
        assertThat(new RecordStager(pool, records).digest().join()).isEqualTo(md5(new byte[0]));
    }

    @Test
    void hashedCompletesOnlyOnceTheLastRecordWasHashed() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        RecordStager s = new RecordStager(gated(release), records);
        byte[] b = body(RecordStager.RECORD + 1);
        s.append(ByteBuffer.wrap(b), r -> { });
        var digest = s.digest();
        assertThat(s.hashed()).isNotDone();
        assertThat(digest).isNotDone();
        release.countDown();
        assertThat(digest.get(30, TimeUnit.SECONDS)).isEqualTo(md5(b));
        assertThat(s.hashed()).isDone();
    }

    /** A hasher that runs its tasks on the test's pool once {@code gate} is open. */
    private java.util.concurrent.Executor gated(CountDownLatch gate) {
        return task -> pool.execute(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.run();
        });
    }

    @Test
    void aRecordsBufferIsLentAgainOnlyOnceTheLogWroteItAndItsMd5WasTaken() throws Exception {
        CountDownLatch hashing = new CountDownLatch(1);
        RecordStager s = new RecordStager(gated(hashing), records);
        byte[] b = body(2 * RecordStager.RECORD + 1000);
        List<ByteBuffer> handed = new ArrayList<>();
        List<CompletableFuture<Object>> writes = new ArrayList<>();
        List<CompletableFuture<?>> tracked = new ArrayList<>();
        s.append(ByteBuffer.wrap(b), r -> {
            handed.add(r);
            CompletableFuture<Object> w = new CompletableFuture<>();
            writes.add(w);
            return w;
        }, tracked::add);
        // Two records and the staged tail, in direct buffers of the pool.
        assertThat(handed).hasSize(2).allSatisfy(r -> assertThat(r.isDirect()).isTrue());
        assertThat(records.lent()).isEqualTo(3);
        writes.forEach(w -> w.complete(null));
        // Written but not hashed yet: the hasher still reads them.
        assertThat(records.lent()).isEqualTo(3);
        assertThat(tracked).noneMatch(CompletableFuture::isDone);
        hashing.countDown();
        CompletableFuture.allOf(tracked.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(records.lent()).isEqualTo(1);

        CompletableFuture<Object> committed = new CompletableFuture<>();
        byte[] digest = s.digest().get(30, TimeUnit.SECONDS);
        assertThat(digest).isEqualTo(md5(b));
        CompletableFuture<Object> done = s.takeInto(last -> {
            assertThat(last.remaining()).isEqualTo(1000);
            return committed;
        });
        assertThat(records.lent()).isEqualTo(1);
        committed.complete("ok");
        assertThat(done.join()).isEqualTo("ok");
        assertThat(records.lent()).isZero();

        // The next write is staged in the same buffers, none allocated anew.
        RecordStager next = new RecordStager(pool, records);
        List<ByteBuffer> again = new ArrayList<>();
        next.append(ByteBuffer.wrap(b), again::add);
        assertThat(again).hasSize(2).allSatisfy(r -> assertThat(r.isDirect()).isTrue());
        assertThat(records.allocated()).isEqualTo(3);
    }

    @Test
    void aFailedOrAbortedWriteGivesItsBuffersBackAndAnExhaustedPoolLendsHeapBuffers() throws Exception {
        byte[] b = body(RecordStager.RECORD + 500_000);
        java.util.concurrent.Executor inline = Runnable::run;
        RecordStager refused = new RecordStager(inline, records);
        List<CompletableFuture<?>> tracked = new ArrayList<>();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> refused.append(ByteBuffer.wrap(b), r -> {
            throw new IllegalStateException("out of space");
        }, tracked::add)).hasMessage("out of space");
        refused.discard();
        assertThat(records.lent()).isZero();

        RecordStager aborted = new RecordStager(inline, records);
        aborted.append(ByteBuffer.wrap(b), r -> CompletableFuture.failedFuture(new IllegalStateException("poisoned")),
                tracked::add);
        assertThat(tracked).hasSize(1);
        assertThat(tracked.get(0)).failsWithin(30, TimeUnit.SECONDS);
        aborted.discard();
        assertThat(records.lent()).isZero();

        // Four pooled buffers lent: the fifth record is a heap buffer, not kept by the pool.
        List<RecordStager> holders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            RecordStager h = new RecordStager(inline, records);
            h.append(ByteBuffer.wrap(b, 0, RecordStager.POOLED_FROM + 1), r -> { });
            holders.add(h);
        }
        assertThat(records.lent()).isEqualTo(4);
        List<ByteBuffer> heap = new ArrayList<>();
        new RecordStager(inline, records).append(ByteBuffer.wrap(b, 0, RecordStager.RECORD), heap::add);
        assertThat(heap).singleElement().satisfies(r -> assertThat(r.isDirect()).isFalse());
        assertThat(records.allocated()).isEqualTo(4);
        holders.forEach(RecordStager::discard);
        assertThat(records.lent()).isZero();
        // A buffer given back twice is not lent twice.
        List<ByteBuffer> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(records.take());
        }
        records.give(all.get(0));
        records.give(all.get(0));
        assertThat(records.take()).isSameAs(all.get(0));
        assertThat(records.take().isDirect()).isFalse();
    }

}
