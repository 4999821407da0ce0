package io.wcache.schema.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A commit made before the log sync of its bytes was confirmed ({@link CatalogOp.Commit#pendingSync()})
 * keeps its undo until {@link CatalogOp.ConfirmSynced}; {@link CatalogFiles#rollBackUnsynced} puts
 * back exactly what it superseded: the version and its extents, its persist task, its tombstone,
 * under a newer generation.
 */
class PendingSyncTest {

    private final Catalog catalog = CatalogFixture.newCatalog(new TestClock());

    private static NamespacePath p(String s) {
        return NamespacePath.of(s);
    }

    private long pendingWrite(String path, int chunks, long chunkSize) {
        return pendingWrite(path, chunks, chunkSize, "");
    }

    private long pendingWrite(String path, int chunks, long chunkSize, String versioning) {
        long size = chunks * chunkSize;
        long id = catalog.files().reserveFileId();
        SessionRef s = new SessionRef(p(path), id);
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p(path), WritePolicy.WRITE_BACK, "w1").withVersioning(versioning), id),
                new CatalogOp.AddExtents(s, CatalogFixture.extents(id, chunks, chunkSize)),
                new CatalogOp.Commit(s, new CommitRequest(size, "etag-" + id, id), true)));
        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);
        return id;
    }

    @Test
    void aCommitsCopyOfItsBodyIsKeptWithItsUndoAndGoesWithTheConfirmation() {
        byte[] body = new byte[3000];
        new java.util.Random(3).nextBytes(body);
        long a = catalog.files().reserveFileId();
        long b = catalog.files().reserveFileId();
        SessionRef sa = new SessionRef(p("/m/copy"), a);
        SessionRef sb = new SessionRef(p("/m/plain"), b);
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/m/copy"), WritePolicy.WRITE_BACK, "w1"), a),
                new CatalogOp.AddExtents(sa, CatalogFixture.extents(a, 1, 3000)),
                new CatalogOp.Commit(sa, new CommitRequest(3000, "etag-a", a), true, body),
                new CatalogOp.Begin(BeginRequest.of(p("/m/plain"), WritePolicy.WRITE_BACK, "w1"), b),
                new CatalogOp.AddExtents(sb, CatalogFixture.extents(b, 1, 10)),
                new CatalogOp.Commit(sb, new CommitRequest(10, "etag-b", b), true)));
        assertThat(out).allMatch(o -> o instanceof OpOutcome.Success);

        List<PendingSync> pending = catalog.files().pendingSyncs();
        assertThat(pending).extracting(PendingSync::fileId).containsExactly(a, b);
        assertThat(pending.get(0).copy()).hasValueSatisfying(c -> assertThat(c).isEqualTo(body));
        assertThat(pending.get(1).copy()).isEmpty();

        // A commit that carried its body is never rolled back, and asking does not drop its copy.
        assertThat(catalog.files().rollBackUnsynced(a)).isEmpty();
        assertThat(catalog.files().pendingSyncs()).filteredOn(x -> x.fileId() == a).singleElement()
                .satisfies(x -> assertThat(x.copy()).hasValueSatisfying(c -> assertThat(c).isEqualTo(body)));

        catalog.files().apply(List.of(new CatalogOp.ConfirmSynced(List.of(a))));
        assertThat(catalog.files().pendingSyncs()).extracting(PendingSync::fileId).containsExactly(b);
    }

    @Test
    void aCopyMustHoldTheWholeBodyAndGoWithPendingSync() {
        SessionRef s = new SessionRef(p("/m/x"), 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new CatalogOp.Commit(s, new CommitRequest(10, "e", 0), true, new byte[9]))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new CatalogOp.Commit(s, new CommitRequest(10, "e", 0), false, new byte[10]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anOverwriteRolledBackRestoresTheSupersededVersionItsExtentsAndItsUpload() {
        CommitResult v1 = CatalogFixture.write(catalog, "/m/a", WritePolicy.WRITE_BACK, 600, 10);
        List<Extent> v1Extents = catalog.files().extents(v1.committed().fileId());
        long v2 = pendingWrite("/m/a", 1, 10);
        assertThat(catalog.files().extents(v1.committed().fileId())).isEmpty();
        List<PendingSync> pending = catalog.files().pendingSyncs();
        assertThat(pending).hasSize(1);
        assertThat(pending.get(0).supersededExtents()).as("kept across several keys").isEqualTo(v1Extents);

        RolledBack r = catalog.files().rollBackUnsynced(v2).orElseThrow();
        assertThat(r.rolledBack().fileId()).isEqualTo(v2);
        assertThat(r.droppedExtents()).hasSize(1);
        FileVersion now = catalog.files().lookup(p("/m/a")).orElseThrow();
        assertThat(now.fileId()).isEqualTo(v1.committed().fileId());
        assertThat(now.size()).isEqualTo(6000);
        assertThat(now.generation()).isEqualTo(3);
        assertThat(catalog.files().extents(now.fileId())).isEqualTo(v1Extents);
        assertThat(catalog.files().extents(v2)).isEmpty();
        PersistTask task = catalog.persistQueue().pendingTasks(10).get(0);
        assertThat(task.fileId()).isEqualTo(now.fileId());
        assertThat(task.generation()).isEqualTo(3);
        assertThat(catalog.files().pendingSyncs()).isEmpty();
        assertThat(catalog.files().rollBackUnsynced(v2)).as("once").isEmpty();
    }

    @Test
    void aVersionedOverwriteRolledBackBringsTheArchivedVersionBackAndLeavesNoCopyInTheArchive() {
        long v1 = pendingWrite("/m/v", 2, 10, BeginRequest.ENABLED);
        catalog.files().apply(List.of(new CatalogOp.ConfirmSynced(List.of(v1))));
        List<Extent> v1Extents = catalog.files().extents(v1);
        long v2 = pendingWrite("/m/v", 1, 10, BeginRequest.ENABLED);
        NamespacePath archived = io.wcache.core.path.ObjectVersions.archivePath(p("/m/v"),
                io.wcache.core.path.ObjectVersions.versionIdOf(v1));
        assertThat(catalog.files().lookup(archived).orElseThrow().fileId()).isEqualTo(v1);

        RolledBack r = catalog.files().rollBackUnsynced(v2).orElseThrow();

        assertThat(r.restored().orElseThrow().fileId()).isEqualTo(v1);
        FileVersion now = catalog.files().lookup(p("/m/v")).orElseThrow();
        assertThat(now.fileId()).isEqualTo(v1);
        assertThat(now.versionId()).isEqualTo(io.wcache.core.path.ObjectVersions.versionIdOf(v1));
        assertThat(catalog.files().extents(v1)).isEqualTo(v1Extents);
        assertThat(catalog.files().lookup(archived)).as("one version, one path").isEmpty();
        assertThat(catalog.files().archivedVersions("m", "v", "", 10).files()).isEmpty();
        assertThat(catalog.persistQueue().pendingTasks(10)).extracting(PersistTask::fileId).containsExactly(v1);
    }

    @Test
    void aWriteOverADeletedPathRolledBackRestoresTheTombstoneAndTheUfsDelete() {
        CatalogFixture.write(catalog, "/m/d", WritePolicy.WRITE_BACK, 1, 10);
        catalog.files().delete(p("/m/d"));
        long v = pendingWrite("/m/d", 1, 10);
        assertThat(catalog.files().tombstone(p("/m/d"))).isEmpty();

        RolledBack r = catalog.files().rollBackUnsynced(v).orElseThrow();
        assertThat(r.restored()).isEmpty();
        assertThat(catalog.files().lookup(p("/m/d"))).isEmpty();
        Tombstone t = catalog.files().tombstone(p("/m/d")).orElseThrow();
        PersistTask task = catalog.persistQueue().pendingTasks(10).get(0);
        assertThat(task.kind()).isEqualTo(TaskKind.DELETE);
        assertThat(task.generation()).isEqualTo(t.generation()).isGreaterThan(3);
    }

    @Test
    void aFirstWriteRolledBackLeavesNothingAndAConfirmedOneCannotBeRolledBack() {
        long a = pendingWrite("/m/new", 1, 10);
        assertThat(catalog.files().rollBackUnsynced(a).orElseThrow().restored()).isEmpty();
        assertThat(catalog.files().lookup(p("/m/new"))).isEmpty();
        assertThat(catalog.persistQueue().pendingTasks(10)).isEmpty();

        long b = pendingWrite("/m/kept", 1, 10);
        catalog.files().apply(List.of(new CatalogOp.ConfirmSynced(List.of(b))));
        assertThat(catalog.files().pendingSyncs()).isEmpty();
        assertThat(catalog.files().rollBackUnsynced(b)).isEqualTo(Optional.empty());
        assertThat(catalog.files().lookup(p("/m/kept")).orElseThrow().fileId()).isEqualTo(b);
    }

    @Test
    void anUndoOfAVersionSupersededSinceOnlyGoes() {
        long a = pendingWrite("/m/x", 1, 10);
        long b = pendingWrite("/m/x", 1, 20);
        assertThat(catalog.files().rollBackUnsynced(a)).isEmpty();
        assertThat(catalog.files().lookup(p("/m/x")).orElseThrow().fileId()).isEqualTo(b);
        assertThat(catalog.files().pendingSyncs()).extracting(PendingSync::fileId).containsExactly(b);
    }
}
