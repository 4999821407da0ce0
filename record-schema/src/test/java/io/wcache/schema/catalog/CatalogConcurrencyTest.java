package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import io.wcache.fdb.embedded.EmbeddedDatabaseFactory;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Races on one path through the embedded engine's serializable transactions. */
class CatalogConcurrencyTest {

    private static final NamespacePath PATH = NamespacePath.of("/s3/hot");
    private static final int ROUNDS = 25;

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);
    /** Two threads, so that the two operations of a race run at the same time. */
    private final ExecutorService racers = Executors.newFixedThreadPool(2);

    @AfterEach
    void close() {
        racers.shutdownNow();
    }

    /** A session whose extents carry its file id, so a reader can tell versions apart. */
    private FileVersion openSession(int chunks) {
        FileVersion s = catalog.files().begin(BeginRequest.of(PATH, WritePolicy.WRITE_BACK, "w1"));
        catalog.files().addExtents(s.ref(), extents(s.fileId(), chunks, 10));
        return s;
    }

    @Test
    void concurrentCommitsToOnePathLaterWinsEarlierIsSupersededReadersNeverSeeAMix() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> readerFailure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!stop.get() && readerFailure.get() == null) {
                Optional<FileLayout> l = catalog.files().layout(PATH);
                if (l.isPresent()) {
                    FileVersion f = l.get().file();
                    long total = 0;
                    for (Extent e : l.get().extents()) {
                        if (e.fileId() != f.fileId()) {
                            readerFailure.set("file " + f.fileId() + " paired with extent of " + e.fileId());
                        }
                        total += e.length();
                    }
                    if (total != f.size()) {
                        readerFailure.set("file " + f.fileId() + " size " + f.size() + " but extents cover " + total);
                    }
                    reads.incrementAndGet();
                }
            }
        }, "reader");
        reader.start();
        long lastGeneration = 0;
        try {
            for (int round = 0; round < ROUNDS; round++) {
                FileVersion a = openSession(1 + round % 3);
                FileVersion b = openSession(2 + round % 2);
                FileVersion before = catalog.files().lookup(PATH).orElse(null);
                CommitRequest ca = new CommitRequest(10L * (1 + round % 3), "a", 0);
                CommitRequest cb = new CommitRequest(10L * (2 + round % 2), "b", 0);
                CompletableFuture<CommitResult> fa = CompletableFuture.supplyAsync(() -> catalog.files().commit(a.ref(), ca), racers);
                CompletableFuture<CommitResult> fb = CompletableFuture.supplyAsync(() -> catalog.files().commit(b.ref(), cb), racers);
                CommitResult ra = fa.join();
                CommitResult rb = fb.join();
                CommitResult earlier = ra.committed().generation() < rb.committed().generation() ? ra : rb;
                CommitResult later = earlier == ra ? rb : ra;
                assertThat(later.committed().generation()).isEqualTo(earlier.committed().generation() + 1);
                assertThat(later.superseded()).as("the later commit supersedes the earlier").contains(earlier.committed());
                assertThat(later.supersededExtents()).allMatch(e -> e.fileId() == earlier.committed().fileId());
                if (before == null) {
                    assertThat(earlier.superseded()).isEmpty();
                } else {
                    assertThat(earlier.superseded().map(FileVersion::fileId)).contains(before.fileId());
                }
                assertThat(earlier.committed().generation()).isGreaterThan(lastGeneration);
                lastGeneration = later.committed().generation();
                FileVersion current = catalog.files().lookup(PATH).orElseThrow();
                assertThat(current.fileId()).as("the later commit wins").isEqualTo(later.committed().fileId());
                assertThat(catalog.files().extents(earlier.committed().fileId())).isEmpty();
                assertThat(catalog.cluster().spaceUsage("w1").pinnedBytes()).isEqualTo(current.size());
                assertThat(catalog.persistQueue().pendingTasks(10)).singleElement()
                        .satisfies(t -> assertThat(t.generation()).isEqualTo(current.generation()));
            }
        } finally {
            stop.set(true);
            reader.join();
        }
        assertThat(readerFailure.get()).isNull();
        assertThat(reads.get()).isPositive();
    }

    @Test
    void commitRacingADeleteEndsInOneOfTheTwoSerialOrders() {
        List<String> orders = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            FileVersion old = openSession(1);
            CommitResult v1 = catalog.files().commit(old.ref(), new CommitRequest(10, "v1", 0));
            FileVersion s = openSession(2);
            CompletableFuture<CommitResult> commit = CompletableFuture.supplyAsync(
                    () -> catalog.files().commit(s.ref(), new CommitRequest(20, "v2", 0)), racers);
            CompletableFuture<DeleteResult> delete = CompletableFuture.supplyAsync(() -> catalog.files().delete(PATH), racers);
            CommitResult c = commit.join();
            DeleteResult d = delete.join();
            Optional<FileVersion> now = catalog.files().lookup(PATH);
            if (now.isEmpty()) {
                // commit, then delete: the delete removed the new version.
                orders.add("commit-delete");
                assertThat(c.superseded()).contains(v1.committed());
                assertThat(d.removed()).contains(c.committed());
                assertThat(d.tombstone().generation()).isEqualTo(c.committed().generation() + 1);
                assertThat(catalog.files().tombstone(PATH)).isPresent();
                assertThat(catalog.persistQueue().pendingTasks(10)).singleElement().satisfies(t -> assertThat(t.kind()).isEqualTo(TaskKind.DELETE));
                assertThat(catalog.cluster().spaceUsage("w1").pinnedBytes()).isZero();
            } else {
                // delete, then commit: the delete removed v1 and the commit made the path live again.
                orders.add("delete-commit");
                assertThat(now.get().fileId()).isEqualTo(s.fileId());
                assertThat(d.removed()).contains(v1.committed());
                assertThat(c.superseded()).isEmpty();
                assertThat(c.committed().generation()).isEqualTo(d.tombstone().generation() + 1);
                assertThat(catalog.files().tombstone(PATH)).isEmpty();
                assertThat(catalog.persistQueue().pendingTasks(10)).singleElement().satisfies(t -> assertThat(t.kind()).isEqualTo(TaskKind.UPLOAD));
                assertThat(catalog.cluster().spaceUsage("w1").pinnedBytes()).isEqualTo(20);
            }
            // Reset to a known state for the next round.
            catalog.files().delete(PATH);
            for (PersistTask t : catalog.persistQueue().claimTasks("p", Duration.ofMinutes(1), 10)) {
                catalog.persistQueue().markPersisted(t);
            }
            assertThat(catalog.persistQueue().pendingTasks(10)).isEmpty();
        }
        assertThat(orders).hasSize(ROUNDS);
    }

    /**
     * The persist queue is claimed while writers keep enqueuing into it: a claim must not conflict
     * with commits of other paths (it did when it read the queue range serializably, and under
     * sustained writes it ran out of retries). Every claim succeeds, and every task is claimed once.
     */
    @Test
    void claimsDoNotConflictWithConcurrentEnqueues(@TempDir Path dir) throws Exception {
        // A catalog of its own whose transactions are not retried: a conflict is a failure here.
        try (EmbeddedDatabase db = EmbeddedDatabase.open(dir)) {
            EmbeddedDatabaseFactory factory = new EmbeddedDatabaseFactory(db);
            factory.setMaxAttempts(1);
            Catalog single = new Catalog(factory.getDatabase(dir.toString()), "claims", clock);
            try {
                claimWhileEnqueuing(single);
            } finally {
            }
        }
    }

    private static void claimWhileEnqueuing(Catalog catalog) throws Exception {
        catalog.persistQueue().stats(); // creates the store before anything races on it
        int writers = 4;
        int perWriter = 60;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> writes = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            writes.add(pool.submit(() -> {
                for (int i = 0; i < perWriter; i++) {
                    long id = catalog.files().reserveFileId();
                    SessionRef ref = new SessionRef(NamespacePath.of("/s3/q/" + writer + "/" + i), id);
                    List<OpOutcome> out = catalog.files().apply(List.of(
                            new CatalogOp.Begin(BeginRequest.of(ref.path(), WritePolicy.WRITE_BACK, "w1"), id),
                            new CatalogOp.AddExtents(ref, extents(id, 1, 10)),
                            new CatalogOp.Commit(ref, new CommitRequest(10, "e", 0))));
                    assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
                }
            }));
        }
        Set<String> claimed = new HashSet<>();
        int claims = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            while (claimed.size() < writers * perWriter && System.nanoTime() < deadline) {
                boolean writing = !writes.stream().allMatch(Future::isDone);
                List<PersistTask> got = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(5), 8);
                for (PersistTask t : got) {
                    assertThat(claimed.add(t.path().toString())).as("claimed once: %s", t.path()).isTrue();
                }
                claims++;
                if (!writing && got.isEmpty()) {
                    break;
                }
            }
            for (Future<?> f : writes) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(claimed).hasSize(writers * perWriter);
        assertThat(claims).isPositive();
    }
}
