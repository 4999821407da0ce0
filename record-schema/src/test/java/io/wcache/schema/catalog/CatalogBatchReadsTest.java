package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one small object's batch (open, extents, commit in one {@link CatalogFiles#apply}) reads from
 * the engine, and that reading less changes no outcome: the path's committed version and
 * tombstone are read once from the open to the commit, the session's own extents are not read
 * back, and a first attempt does not look for its own batch marker.
 */
class CatalogBatchReadsTest {

    private Catalog catalog;

    @BeforeEach
    void open() {
        catalog = CatalogFixture.newCatalog(new TestClock());
    }

    private static List<CatalogOp> putBatch(String path, long fileId, int chunks) {
        SessionRef session = new SessionRef(NamespacePath.of(path), fileId);
        return List.of(new CatalogOp.Begin(BeginRequest.of(NamespacePath.of(path), WritePolicy.WRITE_BACK, "w1"), fileId),
                new CatalogOp.AddExtents(session, CatalogFixture.extents(fileId, chunks, 100)),
                new CatalogOp.Commit(session, new CommitRequest(chunks * 100L, "etag-" + fileId, 7)));
    }

    /**
     * Point and range reads of one overwrite batch, counted by the Record Layer's timer: 15 and 13
     * at first, 11 and 10 once the batch stopped reading back what it wrote, 9 and 8 now that its
     * reserved id is not looked up and its task is read once for the replacing save.
     */
    @Test
    void anOverwriteBatchReadsThePathOnceAndNotItsOwnExtents() {
        catalog.files().apply(putBatch("/m/a", catalog.files().reserveFileId(), 1));
        catalog.files().apply(putBatch("/m/warm", catalog.files().reserveFileId(), 1));
        FDBStoreTimer timer = new FDBStoreTimer();
        catalog.countReads(timer);
        long fileId = catalog.files().reserveFileId();
        List<OpOutcome> out = catalog.files().apply(putBatch("/m/a", fileId, 1));
        catalog.countReads(null);

        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
        assertThat(out.get(2).get(CommitResult.class).superseded()).isPresent();
        long reads = timer.getCount(FDBStoreTimer.Counts.READS);
        long rangeReads = timer.getCount(FDBStoreTimer.Counts.RANGE_READS);
        // Before: 15 point reads and 13 range reads (the path's versions and tombstone read again by the commit,
        // the session's extents scanned back, the batch marker looked up by the first attempt); then 11 and 10
        // (the reserved id looked up in the file-id index, the task read again by its save). Then 10 and 9: the
        // committed version is found by its newest key and then loaded (a read more than one scan of the path's
        // versions, which walked the deleted keys of all its past versions: FileRecords.committedAt).
        assertThat(reads).as("point reads of one overwrite batch").isLessThanOrEqualTo(10);
        assertThat(rangeReads).as("range reads of one overwrite batch").isLessThanOrEqualTo(9);
    }

    @Test
    void extentsAddedInTheBatchAreStillCheckedForGapsAndOverlaps() {
        long gap = catalog.files().reserveFileId();
        SessionRef g = new SessionRef(NamespacePath.of("/m/gap"), gap);
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(g.path(), WritePolicy.WRITE_BACK, "w1"), gap),
                new CatalogOp.AddExtents(g, List.of(new Extent(gap, 0, "w1", 1, 0, 100, 1))),
                new CatalogOp.AddExtents(g, List.of(new Extent(gap, 200, "w1", 1, 200, 100, 2))),
                new CatalogOp.Commit(g, new CommitRequest(300, "e", 7))));
        assertThat(out.get(3)).isInstanceOf(OpOutcome.Failure.class);
        assertThat(((OpOutcome.Failure) out.get(3)).error()).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("leave a gap");

        long size = catalog.files().reserveFileId();
        SessionRef s = new SessionRef(NamespacePath.of("/m/size"), size);
        out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(s.path(), WritePolicy.WRITE_BACK, "w1"), size),
                new CatalogOp.AddExtents(s, CatalogFixture.extents(size, 2, 100)),
                new CatalogOp.Commit(s, new CommitRequest(300, "e", 7))));
        assertThat(((OpOutcome.Failure) out.get(2)).error()).hasMessageContaining("cover 200");
        // The refused commit leaves the session open with its extents, as op-by-op application would.
        assertThat(catalog.files().session(s).orElseThrow().state()).isEqualTo(FileState.WRITING);
        assertThat(catalog.files().commit(s, new CommitRequest(200, "e", 7)).committed().size()).isEqualTo(200);

        // Extents re-added at the same offset replace the earlier ones, as records keyed by offset do.
        long again = catalog.files().reserveFileId();
        SessionRef a = new SessionRef(NamespacePath.of("/m/again"), again);
        out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(a.path(), WritePolicy.WRITE_BACK, "w1"), again),
                new CatalogOp.AddExtents(a, CatalogFixture.extents(again, 2, 100)),
                new CatalogOp.AddExtents(a, List.of(new Extent(again, 100, "w1", 9, 0, 100, 3))),
                new CatalogOp.Commit(a, new CommitRequest(200, "e", 7))));
        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
        assertThat(catalog.files().layout(a.path()).orElseThrow().extents()).extracting(Extent::segment).containsExactly(again, 9L);
    }

    /** A commit or delete of the path inside the batch is seen by the next commit of the same path. */
    @Test
    void aLaterCommitInTheBatchSeesWhatEarlierOpsOfThePathDid() {
        NamespacePath p = NamespacePath.of("/m/p");
        long first = catalog.files().reserveFileId();
        long second = catalog.files().reserveFileId();
        long third = catalog.files().reserveFileId();
        SessionRef s1 = new SessionRef(p, first);
        SessionRef s2 = new SessionRef(p, second);
        SessionRef s3 = new SessionRef(p, third);
        List<CatalogOp> ops = new ArrayList<>();
        ops.add(new CatalogOp.Begin(BeginRequest.of(p, WritePolicy.WRITE_BACK, "w1"), first));
        ops.add(new CatalogOp.Begin(BeginRequest.of(p, WritePolicy.WRITE_BACK, "w1"), second));
        ops.add(new CatalogOp.Begin(BeginRequest.of(p, WritePolicy.WRITE_BACK, "w1"), third));
        ops.add(new CatalogOp.AddExtents(s1, CatalogFixture.extents(first, 1, 100)));
        ops.add(new CatalogOp.AddExtents(s2, CatalogFixture.extents(second, 1, 100)));
        ops.add(new CatalogOp.AddExtents(s3, CatalogFixture.extents(third, 1, 100)));
        ops.add(new CatalogOp.Commit(s1, new CommitRequest(100, "e1", 1)));
        ops.add(new CatalogOp.Commit(s2, new CommitRequest(100, "e2", 2, WriteCondition.absent())));
        ops.add(new CatalogOp.Commit(s2, new CommitRequest(100, "e2", 2)));
        ops.add(new CatalogOp.Delete(p));
        ops.add(new CatalogOp.Commit(s3, new CommitRequest(100, "e3", 3)));
        List<OpOutcome> out = catalog.files().apply(ops);

        CommitResult c1 = out.get(6).get(CommitResult.class);
        assertThat(((OpOutcome.Failure) out.get(7)).error()).as("the first commit is seen by the condition")
                .isInstanceOf(WcacheException.AlreadyExists.class);
        CommitResult c2 = out.get(8).get(CommitResult.class);
        assertThat(c2.superseded().orElseThrow().fileId()).isEqualTo(first);
        assertThat(c2.committed().generation()).isEqualTo(c1.committed().generation() + 1);
        DeleteResult d = out.get(9).get(DeleteResult.class);
        assertThat(d.removed().orElseThrow().fileId()).isEqualTo(second);
        CommitResult c3 = out.get(10).get(CommitResult.class);
        assertThat(c3.superseded()).as("the delete is seen: nothing to supersede").isEmpty();
        assertThat(c3.committed().generation()).isEqualTo(d.tombstone().generation() + 1);
        assertThat(catalog.files().lookup(p).orElseThrow().fileId()).isEqualTo(third);
    }
}
