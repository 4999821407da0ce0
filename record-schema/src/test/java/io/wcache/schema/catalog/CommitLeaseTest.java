package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static io.wcache.schema.catalog.CatalogFixture.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link PersistQueue#leaseUploadsAtCommit}: a {@code WRITE_BACK} commit leases the upload it
 * queues to its worker's persister in its own transaction, so the upload needs no claim; never
 * over another lease on the path, never for a version with replicas.
 */
class CommitLeaseTest {

    private static final Duration LEASE = Duration.ofMinutes(10);

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);

    @Test
    void aWriteBackCommitLeasesItsUploadToTheGivenOwnerAndTheTaskStaysDue() {
        catalog.persistQueue().leaseUploadsAtCommit("w1", LEASE);
        CommitResult r = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);

        assertThat(r.uploadLeasedUntil()).contains(clock.instant().plus(LEASE));
        PersistTask task = only();
        assertThat(task.leaseOwner()).contains("w1");
        assertThat(task.leaseExpiry()).contains(clock.instant().plus(LEASE));
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).as("it keeps its place in the due index")
                .extracting(PersistTask::path).containsExactly(NamespacePath.of("/s3/a"));
        assertThat(catalog.persistQueue().claimTasks("w2", LEASE, 10)).as("another persister's claim").isEmpty();
        assertThat(catalog.persistQueue().claimTasks("w1", LEASE, 10)).as("its own persister's, after a restart")
                .extracting(PersistTask::path).containsExactly(NamespacePath.of("/s3/a"));
    }

    @Test
    void withoutTheSettingOrUnderOtherPoliciesACommitLeasesNothing() {
        CommitResult plain = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(plain.uploadLeasedUntil()).isEmpty();
        assertThat(only().leaseOwner()).isEmpty();

        catalog.persistQueue().leaseUploadsAtCommit("w1", LEASE);
        assertThat(write(catalog, "/s3/t", WritePolicy.TRANSIENT, 1, 100).uploadLeasedUntil()).isEmpty();
        assertThat(write(catalog, "/s3/w", WritePolicy.WRITE_THROUGH, 1, 100).uploadLeasedUntil()).isEmpty();
        catalog.persistQueue().leaseUploadsAtCommit(null, null);
        assertThat(write(catalog, "/s3/b", WritePolicy.WRITE_BACK, 1, 100).uploadLeasedUntil()).isEmpty();
    }

    @Test
    void aVersionWithReplicasIsNotLeasedSoAReplicaCanTakeItOverAtOnce() {
        catalog.persistQueue().leaseUploadsAtCommit("w1", LEASE);
        FileVersion s = catalog.files().begin(new BeginRequest(NamespacePath.of("/s3/r"), WritePolicy.WRITE_BACK, 2, "w1",
                List.of("w2"), "application/octet-stream", Map.of()));
        catalog.files().addExtents(s.ref(), extents(s.fileId(), 1, 100));
        CommitResult r = catalog.files().commit(s.ref(), new CommitRequest(100, "etag", 1));

        assertThat(r.persistQueued()).isTrue();
        assertThat(r.uploadLeasedUntil()).isEmpty();
        assertThat(only().leaseOwner()).isEmpty();
    }

    @Test
    void aCommitOverAnotherPersistersRunningLeaseKeepsThatLeaseAndReportsNoneOfItsOwn() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);
        PersistTask first = catalog.persistQueue().claimTasks("w2", LEASE, 10).get(0);
        catalog.persistQueue().leaseUploadsAtCommit("w1", LEASE);
        clock.advance(Duration.ofSeconds(5));

        CommitResult r = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 200);

        assertThat(r.uploadLeasedUntil()).isEmpty();
        PersistTask task = only();
        assertThat(task.generation()).isEqualTo(first.generation() + 1);
        assertThat(task.leaseOwner()).contains("w2");
        assertThat(task.leaseExpiry()).isEqualTo(first.leaseExpiry());
    }

    private PersistTask only() {
        List<PersistTask> tasks = catalog.persistQueue().pendingTasks(10);
        assertThat(tasks).hasSize(1);
        return tasks.get(0);
    }
}
