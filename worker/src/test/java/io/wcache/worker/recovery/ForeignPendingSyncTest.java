package io.wcache.worker.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.LogStoreConfig;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.PendingSync;
import io.wcache.schema.catalog.SessionRef;
import io.wcache.worker.Worker;
import io.wcache.worker.space.CatalogExtentRelocator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers of a cluster share one Catalog: a worker's restart recovery settles only the undos (and
 * the copies of small writes' bodies) of its own commits. Another worker's pending commit keeps
 * them: its records are in that worker's log, not yet synced, and only its own restart can tell
 * whether they survived. Before, any restart confirmed every undo it found, so the other worker's
 * later power loss found no copy to write its acknowledged write again from.
 */
class ForeignPendingSyncTest {

    @TempDir
    Path root;

    @Test
    void aRestartLeavesAnotherWorkersPendingCommitAndItsCopyAlone() {
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + root.resolve("meta"))) {
            Catalog catalog = Catalog.open(engine.recordDatabase(), Worker.CATALOG_NAME);
            NamespacePath path = NamespacePath.of("/m/theirs");
            byte[] body = new byte[100];
            long id = catalog.files().reserveFileId();
            SessionRef s = new SessionRef(path, id);
            List<OpOutcome> out = catalog.files().apply(List.of(
                    new CatalogOp.Begin(BeginRequest.of(path, WritePolicy.WRITE_BACK, "worker-2"), id),
                    new CatalogOp.AddExtents(s, List.of(new Extent(id, 0, "worker-2", 1, 64, 100, 7))),
                    new CatalogOp.Commit(s, new CommitRequest(100, "etag", 7), true, body)));
            assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);

            try (LogStore store = LogStore.open(LogStoreConfig.of(root.resolve("cache-1"), 64L << 20),
                    new CatalogExtentRelocator(() -> catalog, "worker-1"))) {
                RestartRecovery.Outcome o = RestartRecovery.run(catalog, store, "worker-1");
                assertThat(o.unsyncedRewritten()).isZero();
                assertThat(o.unsyncedRolledBack()).isZero();
            }

            assertThat(catalog.files().pendingSyncs()).extracting(PendingSync::fileId).containsExactly(id);
            assertThat(catalog.files().pendingSyncs().get(0).copy()).isPresent();
            assertThat(catalog.files().lookup(path).orElseThrow().fileId()).isEqualTo(id);
        }
    }
}
