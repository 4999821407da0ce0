package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed version of a path is looked up from its newest file id down (sessions opened after
 * it have greater ids, superseded versions are deleted): whatever the order of opens and commits,
 * and however many sessions are open on the path, a lookup answers the committed version.
 */
class CommittedVersionLookupTest {

    private final Catalog catalog = CatalogFixture.newCatalog(new TestClock());

    private FileVersion open(NamespacePath path) {
        FileVersion s = catalog.files().begin(BeginRequest.of(path, WritePolicy.WRITE_BACK, "w1"));
        catalog.files().addExtents(s.ref(), extents(s.fileId(), 1, 10));
        return s;
    }

    private long commit(FileVersion s) {
        return catalog.files().commit(s.ref(), new CommitRequest(10, "etag-" + s.fileId(), s.fileId())).committed().fileId();
    }

    private long committedId(NamespacePath path) {
        return catalog.files().lookup(path).orElseThrow().fileId();
    }

    @Test
    void sessionsOpenedAfterTheCommitDoNotHideIt() {
        for (int open : new int[] {1, 7, 8, 9, 20}) {
            NamespacePath p = NamespacePath.of("/s3/newer-" + open);
            long v1 = commit(open(p));
            List<FileVersion> sessions = new ArrayList<>();
            for (int i = 0; i < open; i++) {
                sessions.add(open(p));
            }
            assertThat(committedId(p)).as("%d sessions newer than the committed version", open).isEqualTo(v1);
            assertThat(catalog.files().layout(p).orElseThrow().extents()).hasSize(1);
            long v2 = commit(sessions.get(0));
            assertThat(committedId(p)).isEqualTo(v2);
        }
    }

    @Test
    void anOlderSessionCommittedLastIsTheCommittedVersion() {
        NamespacePath p = NamespacePath.of("/s3/out-of-order");
        FileVersion older = open(p);
        FileVersion newer = open(p);
        long n = commit(newer);
        assertThat(committedId(p)).isEqualTo(n);
        long o = commit(older);
        assertThat(o).isLessThan(n);
        assertThat(committedId(p)).as("the later commit wins, though its id is smaller").isEqualTo(o);
    }

    @Test
    void aPathOverwrittenManyTimesAnswersItsLastVersionAndADeletedPathNone() {
        NamespacePath p = NamespacePath.of("/s3/hot");
        long last = 0;
        for (int i = 0; i < 300; i++) {
            last = commit(open(p));
        }
        assertThat(committedId(p)).isEqualTo(last);
        catalog.files().delete(p);
        assertThat(catalog.files().lookup(p)).isEmpty();
        FileVersion pending = open(p);
        assertThat(catalog.files().lookup(p)).as("only a session: nothing committed").isEmpty();
        long again = commit(pending);
        assertThat(committedId(p)).isEqualTo(again);
    }
}
