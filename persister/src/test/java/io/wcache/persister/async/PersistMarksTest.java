package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.PersistOutcome;
import io.wcache.schema.catalog.PersistTask;
import io.wcache.schema.catalog.TaskKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Uploads that finish while a marking transaction runs share the next one; failures stay each task's own. */
class PersistMarksTest {

    private final ExecutorService threads = Executors.newFixedThreadPool(12);

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static PersistTask task(String path) {
        Instant now = Instant.EPOCH;
        return new PersistTask(NamespacePath.of(path), TaskKind.UPLOAD, 1, 1, 10, 0, now, Optional.empty(),
                Optional.empty(), Optional.empty(), now);
    }

    @Test
    void marksArrivingDuringATransactionShareTheNextOneAndWakeNoThreadAlreadyWaiting() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<List<PersistTask>> transactions = new CopyOnWriteArrayList<>();
        PersistMarks<PersistOutcome> marks = firstHeld(transactions, firstStarted, releaseFirst);
        CompletableFuture<PersistOutcome> first = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/first")), threads);
        assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<PersistOutcome>> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String path = "/m/o" + i;
            others.add(CompletableFuture.supplyAsync(() -> marks.mark(task(path)), threads));
            // One at a time, each after the one before is waiting: every arrival finds waiters to wake.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (marks.waiting() < i + 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        Thread.sleep(50);
        assertThat(marks.waiting()).isEqualTo(10);
        // Each arrival used to wake every thread already waiting (notifyAll on one monitor), to find
        // its mark not done and wait again: 45 wake-ups for these ten, up to 15 each with 16 uploads.
        assertThat(marks.earlyWakeups()).as("threads woken while the transaction they wait for still ran").isZero();
        releaseFirst.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        for (CompletableFuture<PersistOutcome> o : others) {
            assertThat(o.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        }
        // Eleven uploads, two transactions: the first alone, the ten that waited for it together.
        assertThat(transactions).hasSize(2);
        assertThat(transactions.get(1)).hasSize(10);
        assertThat(marks.transactions()).isEqualTo(2);
        assertThat(marks.marks()).isEqualTo(11);
    }

    /**
     * Marks that record each transaction's tasks and find every task persisted; the first
     * transaction counts {@code started} down and runs until {@code release} opens.
     */
    private static PersistMarks<PersistOutcome> firstHeld(List<List<PersistTask>> transactions, CountDownLatch started,
                                                          CountDownLatch release) {
        return new PersistMarks<>(tasks -> {
            transactions.add(List.copyOf(tasks));
            if (transactions.size() == 1) {
                started.countDown();
                await(release);
            }
            return tasks.stream().map(t -> PersistOutcome.PERSISTED).toList();
        });
    }

    /** Marks that record each transaction's tasks and find every task persisted, lingering {@code lingerNanos}. */
    private static PersistMarks<PersistOutcome> recording(List<List<PersistTask>> transactions, long lingerNanos) {
        return new PersistMarks<>(tasks -> {
            transactions.add(List.copyOf(tasks));
            return tasks.stream().map(t -> PersistOutcome.PERSISTED).toList();
        }, lingerNanos);
    }

    @Test
    void uploadsFinishingOneByOneShareATransactionWithinTheLinger() throws Exception {
        // A single writer's uploads finish one at a time: without a linger each paid a transaction.
        List<List<PersistTask>> transactions = new CopyOnWriteArrayList<>();
        PersistMarks<PersistOutcome> marks = recording(transactions, TimeUnit.MILLISECONDS.toNanos(2_000));
        CompletableFuture<PersistOutcome> first = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/a")), threads);
        Thread.sleep(100);
        assertThat(transactions).as("the first mark waits for company").isEmpty();
        CompletableFuture<PersistOutcome> second = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/b")), threads);

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(transactions).hasSize(1);
        assertThat(transactions.get(0)).extracting(t -> t.path().toString()).containsExactly("/m/a", "/m/b");
    }

    @Test
    void aFullBatchDoesNotWaitOutTheLinger() throws Exception {
        List<List<PersistTask>> transactions = new CopyOnWriteArrayList<>();
        PersistMarks<PersistOutcome> marks = recording(transactions, TimeUnit.SECONDS.toNanos(60));
        ExecutorService many = Executors.newFixedThreadPool(PersistMarks.MAX_BATCH);
        try {
            List<CompletableFuture<PersistOutcome>> all = new ArrayList<>();
            for (int i = 0; i < PersistMarks.MAX_BATCH; i++) {
                String path = "/m/f" + i;
                all.add(CompletableFuture.supplyAsync(() -> marks.mark(task(path)), many));
            }
            // Far sooner than the minute's linger: the batch filled up.
            for (CompletableFuture<PersistOutcome> f : all) {
                assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
            }
            assertThat(transactions).hasSize(1);
            assertThat(transactions.get(0)).hasSize(PersistMarks.MAX_BATCH);
        } finally {
            many.shutdownNow();
        }
    }

    @Test
    void aTaskThatFailsInABatchFailsAloneAndTheOthersAreMarked() throws Exception {
        FirstHeld held = firstHeldBadFailsOldSuperseded();
        PersistMarks<PersistOutcome> marks = held.marks();
        List<Integer> sizes = held.sizes();
        CountDownLatch releaseFirst = held.release();
        CompletableFuture<PersistOutcome> first = held.first();
        CompletableFuture<PersistOutcome> bad = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/bad")), threads);
        CompletableFuture<PersistOutcome> good = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/good")), threads);
        CompletableFuture<PersistOutcome> old = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/old")), threads);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (marks.waiting() < 3 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(marks.waiting()).isEqualTo(3);
        releaseFirst.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(old.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.SUPERSEDED);
        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(WcacheException.Unavailable.class);
        // The batch of three failed as a whole, then each was marked alone.
        assertThat(sizes).containsExactly(1, 3, 1, 1, 1);
    }

    @Test
    void aHandedOverMarkLeavesItsThreadFreeAndGetsItsOutcomeWhenItsTransactionRuns() throws Exception {
        FirstHeld held = firstHeldBadFailsOldSuperseded();
        PersistMarks<PersistOutcome> marks = held.marks();
        List<Integer> sizes = held.sizes();
        CountDownLatch releaseFirst = held.release();
        CompletableFuture<PersistOutcome> first = held.first();

        // While the first transaction runs, two marks are handed over by this thread: it returns at once.
        CompletableFuture<PersistOutcome> good = new CompletableFuture<>();
        CompletableFuture<RuntimeException> bad = new CompletableFuture<>();
        List<String> ranOn = new CopyOnWriteArrayList<>();
        marks.markThen(task("/m/good"), (outcome, failure) -> {
            ranOn.add(Thread.currentThread().getName());
            good.complete(outcome);
        });
        marks.markThen(task("/m/bad"), (outcome, failure) -> bad.complete(failure));
        assertThat(good).as("decided before the transaction it waits for ran").isNotDone();
        assertThat(marks.waiting()).isEqualTo(2);

        releaseFirst.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(bad.get(10, TimeUnit.SECONDS)).isInstanceOf(WcacheException.Unavailable.class);
        // The leader ran the handed-over marks after its own: never this thread.
        assertThat(ranOn).doesNotContain(Thread.currentThread().getName());
        // The two together, then each alone after the batch failed.
        assertThat(sizes).containsExactly(1, 2, 1, 1);
        assertThat(marks.waiting()).isZero();

        // With no transaction running, the thread handing a mark over leads and runs it itself.
        CompletableFuture<String> alone = new CompletableFuture<>();
        marks.markThen(task("/m/alone"), (outcome, failure) -> alone.complete(Thread.currentThread().getName()));
        assertThat(alone).isCompletedWithValue(Thread.currentThread().getName());
    }

    /** Marks whose first transaction ("/m/first") runs until {@code release} opens, and what they recorded. */
    private record FirstHeld(PersistMarks<PersistOutcome> marks, List<Integer> sizes, CountDownLatch release,
                             CompletableFuture<PersistOutcome> first) {
    }

    /**
     * Marks that record each transaction's size, with "/m/first" marked and its transaction running
     * (until the returned latch opens); a transaction holding "/m/bad" fails, "/m/old" is
     * superseded, every other task persisted.
     */
    private FirstHeld firstHeldBadFailsOldSuperseded() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        PersistMarks<PersistOutcome> marks = new PersistMarks<>(tasks -> {
            sizes.add(tasks.size());
            if (sizes.size() == 1) {
                started.countDown();
                await(release);
            }
            if (tasks.stream().anyMatch(t -> t.path().toString().equals("/m/bad"))) {
                throw new WcacheException.Unavailable("/m/bad", "injected", null);
            }
            return tasks.stream().map(t -> t.path().toString().equals("/m/old") ? PersistOutcome.SUPERSEDED
                    : PersistOutcome.PERSISTED).toList();
        });
        CompletableFuture<PersistOutcome> first = CompletableFuture.supplyAsync(() -> marks.mark(task("/m/first")), threads);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        return new FirstHeld(marks, sizes, release, first);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
