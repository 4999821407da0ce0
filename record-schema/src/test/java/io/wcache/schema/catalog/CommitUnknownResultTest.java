package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Catalog#apply} under lost commit replies ({@code commit_unknown_result}, 1021): the engine
 * committed (or not) and the client cannot tell; the retried batch must answer what landed, once.
 */
class CommitUnknownResultTest {

    @TempDir
    Path dir;
    private LostCommitReplies engine;
    private TestClock clock;
    private Catalog catalog;

    @BeforeEach
    void open() {
        engine = new LostCommitReplies(dir);
        clock = new TestClock();
        catalog = new Catalog(engine.recordDatabase(), "lost-replies", clock);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private List<CatalogOp> putBatch(String path, long fileId, int chunks) {
        SessionRef session = new SessionRef(NamespacePath.of(path), fileId);
        return List.of(new CatalogOp.Begin(BeginRequest.of(NamespacePath.of(path), WritePolicy.WRITE_BACK, "w1"), fileId),
                new CatalogOp.AddExtents(session, CatalogFixture.extents(fileId, chunks, 100)),
                new CatalogOp.Commit(session, new CommitRequest(chunks * 100L, "etag-" + fileId, 7)));
    }

    @Test
    void aBatchWhoseCommitLandedButWhoseReplyWasLostSucceedsOnce() {
        long fileId = catalog.files().reserveFileId();
        engine.loseNextCommits(1, true);
        List<OpOutcome> out = catalog.files().apply(putBatch("/m/landed", fileId, 3));

        assertThat(engine.lost()).isEqualTo(1);
        assertThat(out).as("the retry answers the landed attempt's outcomes").allMatch(o -> o instanceof OpOutcome.Success);
        CommitResult commit = out.get(2).get(CommitResult.class);
        assertThat(commit.committed().fileId()).isEqualTo(fileId);
        assertThat(commit.persistQueued()).isTrue();
        FileVersion v = catalog.files().lookup(NamespacePath.of("/m/landed")).orElseThrow();
        assertThat(v.fileId()).isEqualTo(fileId);
        assertThat(v.generation()).as("applied once").isEqualTo(1);
        assertThat(catalog.files().extents(fileId)).hasSize(3);
        assertThat(catalog.persistQueue().pendingTasks(10)).singleElement().extracting(PersistTask::generation).isEqualTo(1L);
    }

    @Test
    void aDeleteWhoseReplyWasLostReportsTheRemovedVersionOnce() {
        CatalogFixture.write(catalog, "/m/gone", WritePolicy.WRITE_BACK, 2, 100);
        engine.loseNextCommits(1, true);
        List<OpOutcome> out = catalog.files().apply(List.of(new CatalogOp.Delete(NamespacePath.of("/m/gone"))));

        DeleteResult d = out.get(0).get(DeleteResult.class);
        assertThat(d.removed()).as("the version the landed delete removed, so its extents are released").isPresent();
        assertThat(d.extents()).hasSize(2);
        assertThat(d.tombstone().generation()).isEqualTo(2);
        assertThat(catalog.files().tombstone(NamespacePath.of("/m/gone")).orElseThrow().generation()).isEqualTo(2);
    }

    @Test
    void aBatchThatDidNotLandIsAppliedByTheRetry() {
        long fileId = catalog.files().reserveFileId();
        engine.loseNextCommits(1, false);
        List<OpOutcome> out = catalog.files().apply(putBatch("/m/retried", fileId, 2));

        assertThat(engine.lost()).isEqualTo(1);
        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
        assertThat(catalog.files().lookup(NamespacePath.of("/m/retried")).orElseThrow().fileId()).isEqualTo(fileId);
    }

    @Test
    void twoLostRepliesInARowStillAnswerTheAttemptThatLanded() {
        long fileId = catalog.files().reserveFileId();
        engine.loseNextCommits(2, true);
        List<OpOutcome> out = catalog.files().apply(putBatch("/m/twice", fileId, 1));

        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
        assertThat(catalog.files().lookup(NamespacePath.of("/m/twice")).orElseThrow().generation()).isEqualTo(1);
    }

    @Test
    void markersOfAnsweredBatchesAreClearedByLaterBatchesAndAtOpen() {
        for (int i = 0; i < 5; i++) {
            catalog.files().apply(putBatch("/m/f" + i, catalog.files().reserveFileId(), 1));
        }
        assertThat(catalog.files().storedBatchMarkers()).as("each batch clears the markers of those answered before it").isEqualTo(1);
        clock.advance(AppliedBatch.MARKER_TTL.plus(Duration.ofMinutes(1)));
        Catalog reopened = new Catalog(engine.recordDatabase(), "lost-replies", clock);
        assertThat(reopened.files().storedBatchMarkers()).as("a marker older than the TTL is cleared at open").isZero();
    }
}
