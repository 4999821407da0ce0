package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.sync.GroupCommit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {

    @TempDir
    Path dir;

    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void syncsArrivingDuringAForceShareTheNextOne() throws Exception {
        AtomicLong appended = new AtomicLong();
        CountDownLatch firstForceStarted = new CountDownLatch(1);
        CountDownLatch releaseFirstForce = new CountDownLatch(1);
        AtomicInteger forces = new AtomicInteger();
        try (FileChannel ch = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            GroupCommit gc = new GroupCommit(appended::get, () -> {
                ch.force(false);
                if (forces.incrementAndGet() == 1) {
                    firstForceStarted.countDown();
                    try {
                        releaseFirstForce.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
            }, executor);
            ch.write(ByteBuffer.wrap(new byte[100]));
            appended.incrementAndGet();
            Thread leader = new Thread(gc::sync);
            leader.start();
            assertThat(firstForceStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<Void>> waiting = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ch.write(ByteBuffer.wrap(new byte[100]));
                appended.incrementAndGet();
                waiting.add(gc.syncAsync());
            }
            assertThat(waiting).noneMatch(CompletableFuture::isDone);
            releaseFirstForce.countDown();
            leader.join(10_000);
            CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(gc.requests()).isEqualTo(6);
            assertThat(gc.rounds()).isEqualTo(2);
        }
    }

    @Test
    void syncWithNothingNewAppendedDoesNotForce() {
        AtomicInteger forces = new AtomicInteger();
        AtomicLong appended = new AtomicLong();
        GroupCommit gc = new GroupCommit(appended::get, forces::incrementAndGet, executor);
        gc.sync();
        gc.syncAsync().join();
        assertThat(forces.get()).isZero();
        appended.incrementAndGet();
        gc.sync();
        gc.sync();
        assertThat(forces.get()).isEqualTo(1);
    }

    @Test
    void overlappingRoundsCompleteInTheOrderTheyStarted() throws Exception {
        AtomicLong appended = new AtomicLong(1);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        GroupCommit gc = new GroupCommit(appended::get, () -> {
            if (calls.incrementAndGet() == 1) {
                firstStarted.countDown();
                try {
                    releaseFirst.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        }, executor, 2);
        CompletableFuture<Void> first = gc.syncAsync();
        assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        appended.incrementAndGet();
        CompletableFuture<Void> second = new CompletableFuture<>();
        Thread secondLeader = new Thread(() -> {
            gc.sync();
            second.complete(null);
        }, "second-round");
        secondLeader.start();
        // The second round forces at once (overlapping) but must not report before the first: once
        // its force has returned and its leader is parked, it is waiting for the first round.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((gc.rounds() < 1 || secondLeader.getState() != Thread.State.WAITING) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(calls.get()).isEqualTo(2);
        assertThat(gc.rounds()).as("the second round's force returned").isEqualTo(1);
        assertThat(secondLeader.getState()).isEqualTo(Thread.State.WAITING);
        assertThat(second).isNotDone();
        assertThat(first).isNotDone();
        releaseFirst.countDown();
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertThat(gc.rounds()).isEqualTo(2);
    }

    @Test
    void aFailedForceFailsItsWaitersAndEveryLaterSync() {
        AtomicLong appended = new AtomicLong(1);
        AtomicBoolean fail = new AtomicBoolean(true);
        GroupCommit gc = new GroupCommit(appended::get, () -> {
            if (fail.get()) {
                throw new IOException("EIO");
            }
        }, executor);
        assertThatThrownBy(gc::sync).isInstanceOf(WcacheException.Unavailable.class).hasMessageContaining("EIO");
        fail.set(false);
        appended.incrementAndGet();
        assertThatThrownBy(() -> gc.syncAsync().join()).hasCauseInstanceOf(WcacheException.Unavailable.class);
        assertThat(gc.failure()).isNotNull();
    }

    @Test
    void concurrentAppendersShareForcesThroughTheStore() throws Exception {
        try (LogStore store = LogStore.open(TestData.config(dir, 1L << 30, 1 << 20), ExtentRelocator.NONE)) {
            int threads = 8;
            int each = 25;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<java.util.concurrent.Future<List<Location>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    List<Location> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(store.appendEvictable(thread, i, TestData.heap(thread * 1000L + i, 4096)));
                        if (i % 2 == 0) {
                            store.sync();
                        } else {
                            store.syncAsync().get(10, TimeUnit.SECONDS);
                        }
                    }
                    return mine;
                }));
            }
            for (int t = 0; t < threads; t++) {
                List<Location> mine = results.get(t).get();
                for (int i = 0; i < each; i++) {
                    assertThat(TestData.array(store.read(mine.get(i)))).isEqualTo(TestData.bytes(t * 1000L + i, 4096));
                }
            }
            pool.shutdown();
            LogStoreStats s = store.stats();
            assertThat(s.syncRequests()).isEqualTo((long) threads * each);
            assertThat(s.syncs()).isLessThanOrEqualTo(s.syncRequests());
        }
    }
}
