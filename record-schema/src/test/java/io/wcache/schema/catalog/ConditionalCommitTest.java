package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A commit's {@link WriteCondition} is checked in its own transaction: racing conditional writers have one winner. */
class ConditionalCommitTest {

    private final Catalog catalog = CatalogFixture.newCatalog(new TestClock());

    private List<CatalogOp> create(String path, WriteCondition condition) {
        long id = catalog.files().reserveFileId();
        SessionRef s = new SessionRef(NamespacePath.of(path), id);
        return List.of(new CatalogOp.Begin(BeginRequest.of(NamespacePath.of(path), WritePolicy.WRITE_BACK, "w1"), id),
                new CatalogOp.AddExtents(s, CatalogFixture.extents(id, 1, 10)),
                new CatalogOp.Commit(s, new CommitRequest(10, "etag-" + id, id, condition)));
    }

    @Test
    void sixteenConcurrentCreatorsOfOnePathHaveExactlyOneWinner() throws Exception {
        int n = 16;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<CompletableFuture<OpOutcome>> commits = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<CatalogOp> batch = create("/m/race", WriteCondition.absent());
                commits.add(CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return catalog.files().apply(batch).get(2);
                }, pool));
            }
            List<OpOutcome> out = new ArrayList<>();
            for (CompletableFuture<OpOutcome> c : commits) {
                out.add(c.get(60, TimeUnit.SECONDS));
            }
            List<OpOutcome> won = out.stream().filter(o -> o instanceof OpOutcome.Success).toList();
            assertThat(won).hasSize(1);
            assertThat(out).filteredOn(o -> o instanceof OpOutcome.Failure)
                    .allMatch(o -> ((OpOutcome.Failure) o).error() instanceof WcacheException.AlreadyExists);
            long winner = won.get(0).get(CommitResult.class).committed().fileId();
            assertThat(catalog.files().lookup(NamespacePath.of("/m/race")).orElseThrow().fileId()).isEqualTo(winner);
            assertThat(catalog.files().lookup(NamespacePath.of("/m/race")).orElseThrow().generation()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void inOneBatchOnlyTheLosingCommitFails() {
        List<CatalogOp> batch = new ArrayList<>(create("/m/batch", WriteCondition.absent()));
        batch.addAll(create("/m/batch", WriteCondition.absent()));
        batch.addAll(create("/m/other", WriteCondition.absent()));
        List<OpOutcome> out = catalog.files().apply(batch);

        assertThat(out.subList(0, 3)).allMatch(o -> o instanceof OpOutcome.Success);
        assertThat(out.get(3)).isInstanceOf(OpOutcome.Success.class);
        assertThat(out.get(4)).isInstanceOf(OpOutcome.Success.class);
        assertThat(((OpOutcome.Failure) out.get(5)).error()).isInstanceOf(WcacheException.AlreadyExists.class);
        assertThat(out.subList(6, 9)).allMatch(o -> o instanceof OpOutcome.Success);
        long first = ((CatalogOp.Begin) batch.get(0)).reservedFileId();
        assertThat(catalog.files().lookup(NamespacePath.of("/m/batch")).orElseThrow().fileId()).isEqualTo(first);
    }

    @Test
    void ifMatchIsCheckedAgainstTheCommittedVersionAtCommit() {
        CommitResult v1 = CatalogFixture.write(catalog, "/m/match", WritePolicy.WRITE_BACK, 1, 10);
        String etag = v1.committed().etag();
        List<CatalogOp> a = create("/m/match", WriteCondition.ifMatch(List.of("\"" + etag + "\"")));
        List<CatalogOp> b = create("/m/match", WriteCondition.ifMatch(List.of(etag)));
        assertThat(catalog.files().apply(a).get(2)).isInstanceOf(OpOutcome.Success.class);
        OpOutcome late = catalog.files().apply(b).get(2);
        assertThat(((OpOutcome.Failure) late).error()).as("the ETag it matched was replaced meanwhile")
                .isInstanceOf(WcacheException.Conflict.class);

        catalog.files().delete(NamespacePath.of("/m/match"));
        OpOutcome deleted = catalog.files().apply(create("/m/match", WriteCondition.ifMatch(List.of("*")))).get(2);
        assertThat(((OpOutcome.Failure) deleted).error()).isInstanceOf(WcacheException.Conflict.class);
        assertThat(catalog.files().apply(create("/m/match", WriteCondition.absent())).get(2)).isInstanceOf(OpOutcome.Success.class);
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
