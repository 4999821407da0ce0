package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static io.wcache.schema.catalog.CatalogFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Extents found, moved and dropped by their log-store location, as eviction and compaction do. */
class CatalogLocationTest {

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);

    @Test
    void extentIsFoundAndMovedByItsLocation() {
        CommitResult r = write(catalog, "/s3/moved", WritePolicy.WRITE_BACK, 3, 100);
        long file = r.committed().fileId();
        Extent second = extents(file, 3, 100).get(1);

        assertThat(catalog.locations().extentAt("w1", file, 100)).contains(second);
        assertThat(catalog.locations().relocateExtent("w1", file, 100, 100, 999, 4096)).isEqualTo(LocationUpdate.APPLIED);

        assertThat(catalog.locations().extentAt("w1", file, 100)).isEmpty();
        Extent moved = new Extent(file, 100, "w1", 999, 4096, 100, second.crc32c());
        assertThat(catalog.locations().extentAt("w1", 999, 4096)).contains(moved);
        assertThat(catalog.files().layout(NamespacePath.of("/s3/moved")).orElseThrow().extents()).contains(moved);
        assertThat(catalog.locations().extentsInSegment("w1", file, 10)).hasSize(2);
        assertThat(catalog.locations().extentsInSegment("w1", 999, 10)).containsExactly(moved);
        assertThat(catalog.locations().extentsInSegment("w2", file, 10)).as("another worker's segments").isEmpty();
        assertThat(catalog.locations().relocateExtent("w1", file, 100, 100, 1000, 32)).isEqualTo(LocationUpdate.UNREFERENCED);
        assertThatThrownBy(() -> catalog.locations().relocateExtent("w1", file, 0, 99, 1000, 32))
                .isInstanceOf(WcacheException.Corruption.class);
    }

    @Test
    void onlyAPersistedVersionsExtentMayBeDropped() {
        FileVersion session = catalog.files().begin(BeginRequest.of(NamespacePath.of("/s3/writing"), WritePolicy.WRITE_THROUGH, "w1"));
        catalog.files().addExtents(session.ref(), extents(session.fileId(), 1, 100));
        assertThat(catalog.locations().dropExtent("w1", session.fileId(), 0, 100)).as("a session's extent").isEqualTo(LocationUpdate.REFUSED);

        CommitResult r = write(catalog, "/s3/dropped", WritePolicy.WRITE_BACK, 2, 100);
        long file = r.committed().fileId();
        assertThat(catalog.locations().dropExtent("w1", file, 0, 100)).as("not yet in the UFS").isEqualTo(LocationUpdate.REFUSED);

        List<PersistTask> tasks = catalog.persistQueue().claimTasks("persister", Duration.ofMinutes(1), 10);
        for (PersistTask t : tasks) {
            catalog.persistQueue().markPersisted(t);
        }
        assertThat(catalog.locations().dropExtent("w1", file, 0, 100)).isEqualTo(LocationUpdate.APPLIED);
        assertThat(catalog.locations().extentAt("w1", file, 0)).isEmpty();
        assertThat(catalog.locations().dropExtent("w1", file, 0, 100)).isEqualTo(LocationUpdate.UNREFERENCED);
        assertThat(catalog.locations().extentAt("w1", file, 100)).isPresent();
    }
}
