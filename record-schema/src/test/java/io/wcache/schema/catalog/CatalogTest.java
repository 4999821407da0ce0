package io.wcache.schema.catalog;

import static io.wcache.schema.catalog.CatalogFixture.extents;
import static io.wcache.schema.catalog.CatalogFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CatalogTest {

    private final TestClock clock = new TestClock();
    private final Catalog catalog = CatalogFixture.newCatalog(clock);

    private static NamespacePath p(String s) {
        return NamespacePath.of(s);
    }

    @Test
    void sessionIsInvisibleUntilCommittedThenIsTheCurrentVersion() {
        FileVersion s = catalog.files().begin(new BeginRequest(p("/s3/a"), WritePolicy.WRITE_BACK, 2, "w1", List.of("w2"),
                "text/plain", Map.of("k", "v")));
        assertThat(s.state()).isEqualTo(FileState.WRITING);
        assertThat(catalog.files().lookup(p("/s3/a"))).isEmpty();
        catalog.files().addExtents(s.ref(), extents(s.fileId(), 3, 100));
        assertThat(catalog.files().lookup(p("/s3/a"))).isEmpty();

        CommitResult r = catalog.files().commit(s.ref(), new CommitRequest(300, "md5", 7));
        assertThat(r.superseded()).isEmpty();
        assertThat(r.persistQueued()).isTrue();
        FileLayout layout = catalog.files().layout(p("/s3/a")).orElseThrow();
        assertThat(layout.file().fileId()).isEqualTo(s.fileId());
        assertThat(layout.file().generation()).isEqualTo(1);
        assertThat(layout.file().state()).isEqualTo(FileState.COMMITTED);
        assertThat(layout.file().persistState()).isEqualTo(PersistState.NOT_PERSISTED);
        assertThat(layout.file().size()).isEqualTo(300);
        assertThat(layout.file().etag()).isEqualTo("md5");
        assertThat(layout.file().contentType()).isEqualTo("text/plain");
        assertThat(layout.file().userMetadata()).containsEntry("k", "v");
        assertThat(layout.file().replicaWorkers()).containsExactly("w2");
        assertThat(layout.file().committedTime()).contains(clock.instant());
        assertThat(layout.extents()).extracting(Extent::offset).containsExactly(0L, 100L, 200L);
    }

    @Test
    void standardHeadersTravelFromTheSessionIntoTheCommittedVersion() {
        Map<String, String> headers = Map.of("Cache-Control", "max-age=60", "content-disposition", "attachment",
                "content-encoding", "gzip", "content-language", "de-CH", "expires", "Wed, 01 Dec 2094 16:00:00 GMT");
        FileVersion s = catalog.files().begin(new BeginRequest(p("/s3/h"), WritePolicy.WRITE_BACK, 1, "w1", List.of(),
                "text/plain", Map.of(), headers));
        assertThat(s.standardHeaders()).containsEntry("cache-control", "max-age=60").hasSize(5);
        catalog.files().addExtents(s.ref(), extents(s.fileId(), 1, 10));
        CommitResult r = catalog.files().commit(s.ref(), new CommitRequest(10, "md5", 1));
        assertThat(r.committed().standardHeaders()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                "cache-control", "max-age=60", "content-disposition", "attachment", "content-encoding", "gzip",
                "content-language", "de-CH", "expires", "Wed, 01 Dec 2094 16:00:00 GMT"));
        assertThat(catalog.files().lookup(p("/s3/h")).orElseThrow().standardHeaders()).isEqualTo(r.committed().standardHeaders());
        // A later version without headers does not inherit them.
        CommitResult plain = write(catalog, "/s3/h", WritePolicy.WRITE_BACK, 1, 4);
        assertThat(plain.committed().standardHeaders()).isEmpty();
        assertThatThrownBy(() -> new BeginRequest(p("/s3/x"), WritePolicy.WRITE_BACK, 1, "w1", List.of(), "", Map.of(),
                Map.of("x-amz-meta-a", "b"))).isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void standardHeadersSurviveTheStoredRecordAndAreEmptyInRecordsWrittenBeforeVersion4() throws Exception {
        io.wcache.schema.proto.WcacheRecords.File before = io.wcache.schema.proto.WcacheRecords.File.newBuilder()
                .setPath("/s3/old").setFileId(7).setGeneration(1).setState(io.wcache.schema.proto.WcacheRecords.FileState.COMMITTED)
                .setPersistState(io.wcache.schema.proto.WcacheRecords.PersistState.PERSISTED).setPolicy("WRITE_BACK")
                .setWriteReplicas(1).setSize(3).setEtag("e").setContentType("text/plain").setOwnerWorker("w1").build();
        FileVersion old = RecordMapping.file(io.wcache.schema.proto.WcacheRecords.File.parseFrom(before.toByteArray()));
        assertThat(old.standardHeaders()).isEmpty();
        io.wcache.schema.proto.WcacheRecords.File with = before.toBuilder()
                .addAllStandardHeaders(RecordMapping.keyValues(Map.of("expires", "soon", "cache-control", "no-store")))
                .build();
        FileVersion back = RecordMapping.file(io.wcache.schema.proto.WcacheRecords.File.parseFrom(with.toByteArray()));
        assertThat(back.standardHeaders()).containsExactly(Map.entry("cache-control", "no-store"), Map.entry("expires", "soon"));
    }

    @Test
    void commitReturnsTheSupersededVersionWithItsExtentsAndRaisesTheGeneration() {
        CommitResult first = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 2, 10);
        CommitResult second = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 5);
        assertThat(second.superseded()).contains(first.committed());
        assertThat(second.supersededExtents()).hasSize(2).allMatch(e -> e.fileId() == first.committed().fileId());
        assertThat(second.committed().generation()).isEqualTo(2);
        assertThat(catalog.files().extents(first.committed().fileId())).isEmpty();
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().size()).isEqualTo(5);
    }

    @Test
    void commitWhoseExtentsDoNotCoverTheSizeIsRefusedAndChangesNothing() {
        FileVersion s = catalog.files().begin(BeginRequest.of(p("/s3/a"), WritePolicy.WRITE_BACK, "w1"));
        catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId(), 0, "w1", 1, 0, 10, 0),
                new Extent(s.fileId(), 20, "w1", 1, 10, 10, 0)));
        assertThatThrownBy(() -> catalog.files().commit(s.ref(), new CommitRequest(30, "", 0)))
                .isInstanceOf(WcacheException.InvalidArgument.class).hasMessageContaining("gap at offset 10");
        assertThatThrownBy(() -> catalog.files().commit(s.ref(), new CommitRequest(25, "", 0)))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThat(catalog.files().session(s.ref()).orElseThrow().state()).isEqualTo(FileState.WRITING);
        assertThat(catalog.files().lookup(p("/s3/a"))).isEmpty();
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).isEmpty();
    }

    @Test
    void badExtentsAndBadSessionsAreTypedErrors() {
        FileVersion s = catalog.files().begin(BeginRequest.of(p("/s3/a"), WritePolicy.WRITE_BACK, "w1"));
        assertThatThrownBy(() -> catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId() + 1, 0, "w1", 0, 0, 1, 0))))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId(), 0, "w1", 0, 0, 0, 0))))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> catalog.files().addExtents(new SessionRef(p("/s3/a"), 999_999), List.of()))
                .isInstanceOf(WcacheException.NotFound.class);
        assertThatThrownBy(() -> catalog.files().begin(BeginRequest.of(p("/s3/b"), WritePolicy.READ_ONLY, "w1")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> catalog.files().begin(BeginRequest.of(p("/s3"), WritePolicy.WRITE_BACK, "w1")))
                .isInstanceOf(WcacheException.InvalidPath.class);
        catalog.files().commit(s.ref(), new CommitRequest(0, "", 0));
        assertThatThrownBy(() -> catalog.files().commit(s.ref(), new CommitRequest(0, "", 0)))
                .isInstanceOf(WcacheException.Conflict.class);
    }

    @Test
    void abortDropsTheSessionAndReturnsItsExtents() {
        FileVersion s = catalog.files().begin(BeginRequest.of(p("/s3/a"), WritePolicy.WRITE_BACK, "w1"));
        catalog.files().addExtents(s.ref(), extents(s.fileId(), 2, 8));
        AbortResult r = catalog.files().abort(s.ref());
        assertThat(r.extents()).hasSize(2);
        assertThat(catalog.files().session(s.ref())).isEmpty();
        assertThat(catalog.files().extents(s.fileId())).isEmpty();
        assertThatThrownBy(() -> catalog.files().commit(s.ref(), new CommitRequest(16, "", 0)))
                .isInstanceOf(WcacheException.NotFound.class);
    }

    @Test
    void fileIdsAreUniqueAcrossCatalogInstancesSharingTheStore() {
        Catalog other = new Catalog(CatalogFixture.engine().recordDatabase(), catalog.name(), clock);
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            Catalog c = i % 2 == 0 ? catalog : other;
            assertThat(ids.add(c.files().begin(BeginRequest.of(p("/s3/f" + i), WritePolicy.TRANSIENT, "w1")).fileId())).isTrue();
        }
    }

    @Test
    void writeBackIsQueuedAndMarkedPersistedMovingBytesFromPinnedToEvictable() {
        CommitResult r = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(100, 0));
        List<PersistTask> due = catalog.persistQueue().dueTasks(clock.instant(), 10);
        assertThat(due).singleElement().satisfies(t -> {
            assertThat(t.kind()).isEqualTo(TaskKind.UPLOAD);
            assertThat(t.generation()).isEqualTo(r.committed().generation());
            assertThat(t.size()).isEqualTo(100);
        });
        List<PersistTask> claimed = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10);
        assertThat(claimed).hasSize(1);
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().persistState()).isEqualTo(PersistState.PERSISTING);
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).as("claimed task is leased").isEmpty();
        assertThat(catalog.persistQueue().markPersisted(claimed.get(0))).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().persistState()).isEqualTo(PersistState.PERSISTED);
        assertThat(catalog.persistQueue().pendingTasks(10)).isEmpty();
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(0, 100));
    }

    @Test
    void uploadsMarkedPersistedTogetherAreDecidedEachAsAlone() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);
        write(catalog, "/s3/b", WritePolicy.WRITE_BACK, 1, 30);
        write(catalog, "/s3/c", WritePolicy.WRITE_BACK, 1, 7);
        List<PersistTask> claimed = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10);
        assertThat(claimed).hasSize(3);
        PersistTask b = claimed.stream().filter(t -> t.path().equals(p("/s3/b"))).findFirst().orElseThrow();
        write(catalog, "/s3/b", WritePolicy.WRITE_BACK, 1, 40); // b moves on while its upload runs

        assertThat(catalog.persistQueue().markPersisted(claimed)).containsExactlyElementsOf(claimed.stream()
                .map(t -> t == b ? PersistOutcome.SUPERSEDED : PersistOutcome.PERSISTED).toList());
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().persistState()).isEqualTo(PersistState.PERSISTED);
        assertThat(catalog.files().lookup(p("/s3/c")).orElseThrow().persistState()).isEqualTo(PersistState.PERSISTED);
        assertThat(catalog.files().lookup(p("/s3/b")).orElseThrow().persistState()).isEqualTo(PersistState.NOT_PERSISTED);
        assertThat(catalog.persistQueue().pendingTasks(10)).singleElement()
                .satisfies(t -> assertThat(t.path()).isEqualTo(p("/s3/b")));
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(40, 107));
        assertThat(catalog.persistQueue().markPersisted(List.of())).isEmpty();
    }

    @Test
    void uploadOfASupersededGenerationIsNotMarkedPersistedAndTheNewerTaskWaitsForTheLease() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        PersistTask old = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10).get(0);
        CommitResult newer = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 20);
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).as("newer task waits for the in-flight lease").isEmpty();
        assertThat(catalog.persistQueue().markPersisted(old)).isEqualTo(PersistOutcome.SUPERSEDED);
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().persistState()).isEqualTo(PersistState.NOT_PERSISTED);
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).as("lease released: newer task due now").singleElement()
                .satisfies(t -> assertThat(t.generation()).isEqualTo(newer.committed().generation()));
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(20, 0));
    }

    @Test
    void aHoldersClaimTakesOnlyUploadsWhoseBytesItHoldsAndLeavesTheOthersDue() {
        write(catalog, "/s3/held-by-w1", WritePolicy.WRITE_BACK, 1, 10);
        FileVersion s = catalog.files().begin(BeginRequest.of(p("/s3/held-by-w2"), WritePolicy.WRITE_BACK, "w2"));
        catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId(), 0, "w2", 7, 0, 10, 0)));
        catalog.files().commit(s.ref(), new CommitRequest(10, "etag-w2", 0));
        assertThat(catalog.persistQueue().claimTasks("w2", Duration.ofMinutes(1), 10, "w2"))
                .extracting(t -> t.path().toString()).containsExactly("/s3/held-by-w2");
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).as("w1's upload is left due, not leased")
                .extracting(t -> t.path().toString()).containsExactly("/s3/held-by-w1");
        assertThat(catalog.files().lookup(p("/s3/held-by-w1")).orElseThrow().persistState())
                .isEqualTo(PersistState.NOT_PERSISTED);
        assertThat(catalog.persistQueue().claimTasks("w1", Duration.ofMinutes(1), 10, "w1"))
                .extracting(t -> t.path().toString()).containsExactly("/s3/held-by-w1");
    }

    @Test
    void expiredLeaseMakesTheTaskDueAgain() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        catalog.persistQueue().claimTasks("p1", Duration.ofSeconds(30), 10);
        assertThat(catalog.persistQueue().claimTasks("p2", Duration.ofSeconds(30), 10)).isEmpty();
        clock.advance(Duration.ofSeconds(31));
        assertThat(catalog.persistQueue().claimTasks("p2", Duration.ofSeconds(30), 10)).singleElement()
                .satisfies(t -> assertThat(t.leaseOwner()).contains("p2"));
    }

    @Test
    void aHandedOverTaskIsClaimedAloneAndAnotherPersistersRunningLeaseHoldsItBack() {
        CommitResult v1 = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        PersistTask handed = catalog.persistQueue().pendingTasks(10).get(0);
        TaskClaim first = catalog.persistQueue().claim(handed, "w1", Duration.ofMinutes(1), null);
        assertThat(first.outcome()).isEqualTo(TaskClaim.Outcome.CLAIMED);
        assertThat(first.task().orElseThrow().leaseOwner()).contains("w1");
        assertThat(catalog.persistQueue().claimTasks("w2", Duration.ofMinutes(1), 10)).as("leased: no poll claims it")
                .isEmpty();
        // A delete through another worker while w1's upload runs: its task keeps w1's lease.
        DeleteResult d = catalog.files().delete(p("/s3/a"));
        PersistTask queued = catalog.persistQueue().pendingTasks(10).get(0);
        assertThat(queued.kind()).isEqualTo(TaskKind.DELETE);
        assertThat(queued.leaseOwner()).as("the replacement keeps the running lease").contains("w1");
        // As w2's write path hands it to w2's persister: without a lease.
        PersistTask delete = new PersistTask(queued.path(), queued.kind(), queued.fileId(), queued.generation(), 0, 0,
                queued.enqueuedTime(), Optional.empty(), Optional.empty(), Optional.empty(), queued.enqueuedTime());
        TaskClaim held = catalog.persistQueue().claim(delete, "w2", Duration.ofMinutes(1), null);
        assertThat(held.outcome()).isEqualTo(TaskClaim.Outcome.HELD);
        assertThat(held.holder()).isEqualTo("w1");
        // A failed attempt by w2 does not free the path from w1's lease either.
        PersistTask failed = catalog.persistQueue().reschedule(delete, clock.instant(), "timeout").orElseThrow();
        assertThat(failed.leaseOwner()).contains("w1");
        assertThat(catalog.persistQueue().claim(delete, "w2", Duration.ofMinutes(1), null).outcome())
                .isEqualTo(TaskClaim.Outcome.HELD);
        // w1's upload ends superseded: the lease is released and the delete is w2's to run.
        assertThat(catalog.persistQueue().markPersisted(first.task().orElseThrow())).isEqualTo(PersistOutcome.SUPERSEDED);
        assertThat(catalog.persistQueue().claim(handed, "w1", Duration.ofMinutes(1), null).outcome())
                .as("the upload's task is gone").isEqualTo(TaskClaim.Outcome.SUPERSEDED);
        TaskClaim mine = catalog.persistQueue().claim(delete, "w2", Duration.ofMinutes(1), null);
        assertThat(mine.outcome()).isEqualTo(TaskClaim.Outcome.CLAIMED);
        assertThat(catalog.persistQueue().markPersisted(mine.task().orElseThrow())).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(catalog.files().tombstone(p("/s3/a"))).isEmpty();
        assertThat(v1.committed().generation()).isLessThan(d.tombstone().generation());
    }

    @Test
    void aLeaseOfAGoneHolderIsTakenOverAndAnExpiredOneIsFree() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        PersistTask task = catalog.persistQueue().pendingTasks(10).get(0);
        assertThat(catalog.persistQueue().claim(task, "w1", Duration.ofSeconds(30), null).outcome())
                .isEqualTo(TaskClaim.Outcome.CLAIMED);
        assertThat(catalog.persistQueue().claim(task, "w2", Duration.ofSeconds(30), null).outcome())
                .isEqualTo(TaskClaim.Outcome.HELD);
        assertThat(catalog.persistQueue().claim(task, "w2", Duration.ofSeconds(30), "w3").outcome())
                .as("only the gone holder's lease is taken over").isEqualTo(TaskClaim.Outcome.HELD);
        TaskClaim over = catalog.persistQueue().claim(task, "w2", Duration.ofSeconds(30), "w1");
        assertThat(over.outcome()).isEqualTo(TaskClaim.Outcome.CLAIMED);
        assertThat(over.task().orElseThrow().leaseOwner()).contains("w2");
        clock.advance(Duration.ofSeconds(31));
        assertThat(catalog.persistQueue().claim(task, "w1", Duration.ofSeconds(30), null).task().orElseThrow().leaseOwner())
                .as("an expired lease holds nothing back").contains("w1");
    }

    @Test
    void aSynchronousWritesPathLeaseHoldsBackADeleteCommittedMeanwhileAndIsGivenBack() {
        PathLease taken = catalog.persistQueue().leasePath(p("/s3/a"), "w1", Duration.ofMinutes(1), null);
        assertThat(taken.kind()).isEqualTo(PathLease.Kind.PLACEHOLDER);
        assertThat(catalog.persistQueue().leasePath(p("/s3/a"), "w2", Duration.ofMinutes(1), null).kind())
                .isEqualTo(PathLease.Kind.HELD);
        // A delete through another worker while the write runs: its task keeps the write's lease.
        catalog.files().delete(p("/s3/a"));
        PersistTask queued = catalog.persistQueue().pendingTasks(10).get(0);
        assertThat(queued.kind()).isEqualTo(TaskKind.DELETE);
        assertThat(queued.leaseOwner()).contains("w1");
        PersistTask handed = new PersistTask(queued.path(), queued.kind(), queued.fileId(), queued.generation(), 0, 0,
                queued.enqueuedTime(), Optional.empty(), Optional.empty(), Optional.empty(), queued.enqueuedTime());
        assertThat(catalog.persistQueue().claim(handed, "w2", Duration.ofMinutes(1), null).outcome())
                .isEqualTo(TaskClaim.Outcome.HELD);
        // The write failed before its commit: the delete is due at once and free.
        catalog.persistQueue().releasePath(p("/s3/a"), "w1", taken);
        assertThat(catalog.persistQueue().claim(handed, "w2", Duration.ofMinutes(1), null).outcome())
                .isEqualTo(TaskClaim.Outcome.CLAIMED);
        // With no task left over, a lease taken and given back leaves nothing queued.
        PathLease other = catalog.persistQueue().leasePath(p("/s3/b"), "w1", Duration.ofMinutes(1), null);
        catalog.persistQueue().releasePath(p("/s3/b"), "w1", other);
        assertThat(catalog.persistQueue().pendingTasks(10)).extracting(t -> t.path().toString()).containsExactly("/s3/a");
    }

    @Test
    void rescheduleCountsAttemptsKeepsTheLastErrorAndDelaysTheTask() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        PersistTask t = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10).get(0);
        PersistTask r = catalog.persistQueue().reschedule(t, clock.instant().plusSeconds(5), "503 SlowDown").orElseThrow();
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.lastError()).contains("503 SlowDown");
        assertThat(r.leaseOwner()).isEmpty();
        assertThat(catalog.files().lookup(p("/s3/a")).orElseThrow().persistState()).isEqualTo(PersistState.NOT_PERSISTED);
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).isEmpty();
        clock.advance(Duration.ofSeconds(5));
        PersistTask again = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10).get(0);
        assertThat(catalog.persistQueue().reschedule(again, clock.instant().plusSeconds(10), "timeout").orElseThrow().attempts()).isEqualTo(2);
    }

    @Test
    void deleteLeavesATombstoneAndAUfsDeleteTaskUntilTheDeleteIsDone() {
        CommitResult w = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        DeleteResult d = catalog.files().delete(p("/s3/a"));
        assertThat(d.removed()).contains(w.committed());
        assertThat(d.extents()).hasSize(1);
        assertThat(catalog.files().lookup(p("/s3/a"))).isEmpty();
        assertThat(catalog.files().list(ListRequest.of("/s3/", "", 100)).files()).isEmpty();
        assertThat(catalog.files().tombstone(p("/s3/a"))).hasValueSatisfying(t -> assertThat(t.generation()).isEqualTo(2));
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(0, 0));
        PersistTask task = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10).get(0);
        assertThat(task.kind()).isEqualTo(TaskKind.DELETE);
        assertThat(catalog.persistQueue().markPersisted(task)).isEqualTo(PersistOutcome.PERSISTED);
        assertThat(catalog.files().tombstone(p("/s3/a"))).isEmpty();
    }

    @Test
    void deleteOfAPathMetadataNeverSawStillHidesTheUfsObject() {
        DeleteResult d = catalog.files().delete(p("/s3/only-in-ufs"));
        assertThat(d.removed()).isEmpty();
        assertThat(d.tombstone().fileId()).isZero();
        assertThat(catalog.persistQueue().dueTasks(clock.instant(), 10)).singleElement()
                .satisfies(t -> assertThat(t.kind()).isEqualTo(TaskKind.DELETE));
    }

    @Test
    void commitAfterDeleteContinuesTheGenerationAndReplacesTheDelete() {
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        catalog.files().delete(p("/s3/a"));
        CommitResult again = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 10);
        assertThat(again.committed().generation()).isEqualTo(3);
        assertThat(again.superseded()).isEmpty();
        assertThat(catalog.files().tombstone(p("/s3/a"))).isEmpty();
        assertThat(catalog.persistQueue().pendingTasks(10)).singleElement().satisfies(t -> assertThat(t.kind()).isEqualTo(TaskKind.UPLOAD));
    }

    @Test
    void transientAndWriteThroughAreNeverQueued() {
        CommitResult t = write(catalog, "/s3/t", WritePolicy.TRANSIENT, 1, 10);
        CommitResult w = write(catalog, "/s3/w", WritePolicy.WRITE_THROUGH, 1, 20);
        assertThat(t.persistQueued()).isFalse();
        assertThat(w.persistQueued()).isFalse();
        assertThat(t.committed().persistState()).isEqualTo(PersistState.TRANSIENT);
        assertThat(w.committed().persistState()).isEqualTo(PersistState.PERSISTED);
        assertThat(catalog.persistQueue().pendingTasks(10)).isEmpty();
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(10, 20));
        catalog.cluster().adjustSpace("w1", 0, -20);
        assertThat(catalog.cluster().spaceUsage("w1")).isEqualTo(new SpaceUsage(10, 0));
    }

    @Test
    void sweepsFindIdleAndOldSessions() {
        FileVersion a = catalog.files().begin(BeginRequest.of(p("/s3/a"), WritePolicy.WRITE_BACK, "w1"));
        clock.advance(Duration.ofMinutes(5));
        FileVersion b = catalog.files().begin(BeginRequest.of(p("/s3/b"), WritePolicy.WRITE_BACK, "w1"));
        clock.advance(Duration.ofMinutes(6));
        catalog.files().addExtents(a.ref(), extents(a.fileId(), 1, 1));
        write(catalog, "/s3/c", WritePolicy.WRITE_BACK, 1, 1);
        // a: created 11 min ago, written now; b: created and last written 6 min ago.
        assertThat(catalog.files().idleSessions(clock.instant().minus(Duration.ofMinutes(5)), 10))
                .extracting(FileVersion::fileId).containsExactly(b.fileId());
        assertThat(catalog.files().sessionsCreatedBefore(clock.instant().minus(Duration.ofMinutes(10)), 10))
                .extracting(FileVersion::fileId).containsExactly(a.fileId());
        assertThat(catalog.files().sessionsCreatedBefore(clock.instant().plusSeconds(1), 10)).hasSize(2);
    }

    @Test
    void pathRulesMountsAndWorkersArePersisted() {
        long v0 = catalog.cluster().configVersion();
        catalog.cluster().putPathRule(new PathRule(p("/s3/tmp"), WritePolicy.TRANSIENT, 2));
        catalog.cluster().putPathRule(new PathRule(p("/s3"), WritePolicy.WRITE_BACK, 1));
        assertThat(catalog.cluster().configVersion()).isEqualTo(v0 + 2);
        PathConfig config = catalog.cluster().pathConfig(PathConfig.defaults());
        assertThat(config.resolve(p("/s3/tmp/x")).policy()).isEqualTo(WritePolicy.TRANSIENT);
        assertThat(catalog.cluster().removePathRule(p("/s3/tmp"))).isTrue();
        assertThat(catalog.cluster().removePathRule(p("/s3/tmp"))).isFalse();
        assertThat(catalog.cluster().pathRules()).containsExactly(new PathRule(p("/s3"), WritePolicy.WRITE_BACK, 1));

        catalog.cluster().addMount(Mount.of("/s3", "s3://bucket/pre", Map.of("ufs.s3.region", "eu")));
        assertThatThrownBy(() -> catalog.cluster().addMount(Mount.of("/s3", "file:///x", Map.of())))
                .isInstanceOf(WcacheException.AlreadyExists.class);
        assertThat(catalog.cluster().mountTable().resolve(p("/s3/k")).options()).containsEntry("ufs.s3.region", "eu");
        long v1 = catalog.cluster().configVersion();
        catalog.cluster().removeMount("s3");
        assertThatThrownBy(() -> catalog.cluster().removeMount("s3")).isInstanceOf(WcacheException.NotFound.class);
        assertThat(catalog.cluster().configVersion()).isEqualTo(v1 + 1);

        Duration lease = Duration.ofSeconds(10);
        Membership.Addresses w1 = new Membership.Addresses("127.0.0.1:9000", "127.0.0.1:9001", "");
        Membership.Member first = catalog.membership().renew("w1", w1, 1000, lease, true);
        clock.advance(Duration.ofSeconds(5));
        Membership.Member second = catalog.membership().renew("w1", w1, 1000, lease, false);
        assertThat(second.startedTime()).isEqualTo(first.startedTime());
        assertThat(second.heartbeatTime()).isEqualTo(clock.instant());
        clock.advance(Duration.ofSeconds(8));
        catalog.membership().renew("w2", new Membership.Addresses("127.0.0.1:9002", "127.0.0.1:9003", ""), 1000, lease,
                true);
        clock.advance(Duration.ofSeconds(5)); // w1's lease ended 2 s ago, w2's holds
        assertThat(catalog.membership().alive()).extracting(Membership.Member::id).containsExactly("w2");
        assertThat(catalog.cluster().workers()).extracting(WorkerInfo::id).containsExactly("w1", "w2");
        assertThat(catalog.cluster().workers()).extracting(WorkerInfo::address)
                .containsExactly("127.0.0.1:9000", "127.0.0.1:9002");
    }

    @Test
    void batchAppliesEveryOperationInOneTransactionAndIsolatesFailures() {
        FileVersion s1 = catalog.files().begin(BeginRequest.of(p("/s3/one"), WritePolicy.WRITE_BACK, "w1"));
        FileVersion s2 = catalog.files().begin(BeginRequest.of(p("/s3/two"), WritePolicy.WRITE_BACK, "w1"));
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.AddExtents(s1.ref(), extents(s1.fileId(), 1, 10)),
                new CatalogOp.Commit(s1.ref(), new CommitRequest(10, "e1", 0)),
                new CatalogOp.Commit(s2.ref(), new CommitRequest(99, "e2", 0)),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/three"), WritePolicy.TRANSIENT, "w1")),
                new CatalogOp.Abort(new SessionRef(p("/s3/none"), 123_456))));
        assertThat(out.get(0)).isInstanceOf(OpOutcome.Success.class);
        assertThat(out.get(1).get(CommitResult.class).committed().size()).isEqualTo(10);
        assertThat(out.get(2)).isInstanceOfSatisfying(OpOutcome.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(WcacheException.InvalidArgument.class));
        FileVersion three = out.get(3).get(FileVersion.class);
        assertThat(out.get(4)).isInstanceOfSatisfying(OpOutcome.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(WcacheException.NotFound.class));
        assertThat(catalog.files().lookup(p("/s3/one"))).isPresent();
        assertThat(catalog.files().session(s2.ref()).orElseThrow().state()).isEqualTo(FileState.WRITING);
        assertThat(catalog.files().session(three.ref())).isPresent();
    }

    @Test
    void listingGroupsByDelimiterPagesWithContinuationAndHidesSessions() {
        for (String k : List.of("a", "b/1", "b/2", "b/3", "c", "d/x/1", "e")) {
            write(catalog, "/s3/" + k, WritePolicy.WRITE_BACK, 1, 1);
        }
        write(catalog, "/other/z", WritePolicy.WRITE_BACK, 1, 1);
        catalog.files().begin(BeginRequest.of(p("/s3/writing"), WritePolicy.WRITE_BACK, "w1"));

        ListPage all = catalog.files().list(ListRequest.of("/s3/", "/", 100));
        assertThat(all.files()).extracting(f -> f.path().toString()).containsExactly("/s3/a", "/s3/c", "/s3/e");
        assertThat(all.commonPrefixes()).containsExactly("/s3/b/", "/s3/d/");
        assertThat(all.truncated()).isFalse();

        ListPage p1 = catalog.files().list(ListRequest.of("/s3/", "/", 2));
        assertThat(p1.files()).extracting(f -> f.path().toString()).containsExactly("/s3/a");
        assertThat(p1.commonPrefixes()).containsExactly("/s3/b/");
        ListPage p2 = catalog.files().list(ListRequest.of("/s3/", "/", 2).withContinuation(p1.continuation().orElseThrow()));
        assertThat(p2.files()).extracting(f -> f.path().toString()).containsExactly("/s3/c");
        assertThat(p2.commonPrefixes()).containsExactly("/s3/d/");
        ListPage p3 = catalog.files().list(ListRequest.of("/s3/", "/", 2).withContinuation(p2.continuation().orElseThrow()));
        assertThat(p3.files()).extracting(f -> f.path().toString()).containsExactly("/s3/e");
        assertThat(p3.truncated()).isFalse();

        ListPage flat = catalog.files().list(new ListRequest("/s3/b", "", "/s3/b/1", 100, Optional.empty()));
        assertThat(flat.files()).extracting(f -> f.path().toString()).containsExactly("/s3/b/2", "/s3/b/3");

        assertThatThrownBy(() -> catalog.files().list(ListRequest.of("/s3/", "/", 2).withContinuation("garbage!")))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> catalog.files().list(ListRequest.of("/zzz/", "/", 2).withContinuation(p1.continuation().get())))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> ListRequest.of("/s3/", "/", 0)).isInstanceOf(WcacheException.InvalidArgument.class);
    }

    @Test
    void successorIsTheFirstStringAfterAllExtensions() {
        assertThat(CommittedListing.successor("/s3/b/")).isEqualTo("/s3/b0");
        assertThat(CommittedListing.successor("a\uD7FF")).isEqualTo("a\uE000");
        assertThat(CommittedListing.successor("a" + new String(Character.toChars(Character.MAX_CODE_POINT)))).isEqualTo("b");
        assertThat(CommittedListing.successor("")).isNull();
    }

    @Test
    void reservedFileIdOpensExactlyOneSession() {
        long id = catalog.files().reserveFileId();
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/s3/r"), WritePolicy.WRITE_BACK, "w1"), id),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/q"), WritePolicy.WRITE_BACK, "w1"), id),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/q"), WritePolicy.WRITE_BACK, "w1"))));
        assertThat(out.get(0).get(FileVersion.class).fileId()).isEqualTo(id);
        assertThat(out.get(1)).isInstanceOfSatisfying(OpOutcome.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(WcacheException.AlreadyExists.class));
        assertThat(out.get(2).get(FileVersion.class).fileId()).isNotEqualTo(id);
    }

    /**
     * The first batch to open a session with an id this Catalog reserved skips the file-id index
     * lookup (the id is known unused); every later use of that id is looked up and refused: in a
     * later batch, in the same batch after its session committed, and through another Catalog
     * that shares the metadata.
     */
    @Test
    void aReservedIdStaysRefusedOnceItsSessionExistsWhicheverBatchOrCatalogTriesItAgain() {
        long id = catalog.files().reserveFileId();
        SessionRef first = new SessionRef(p("/s3/first"), id);
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/s3/first"), WritePolicy.WRITE_BACK, "w1"), id),
                new CatalogOp.AddExtents(first, extents(id, 1, 10)),
                new CatalogOp.Commit(first, new CommitRequest(10, "e1", 0)),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/same-batch"), WritePolicy.WRITE_BACK, "w1"), id)));
        assertThat(out.get(2)).isInstanceOf(OpOutcome.Success.class);
        assertThat(out.get(3)).as("the same id again after its commit, same batch").isInstanceOfSatisfying(
                OpOutcome.Failure.class, f -> assertThat(f.error()).isInstanceOf(WcacheException.AlreadyExists.class));

        List<OpOutcome> later = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/s3/later"), WritePolicy.WRITE_BACK, "w1"), id)));
        assertThat(later.get(0)).as("the same id in a later batch").isInstanceOfSatisfying(
                OpOutcome.Failure.class, f -> assertThat(f.error()).isInstanceOf(WcacheException.AlreadyExists.class));

        Catalog other = new Catalog(CatalogFixture.engine().recordDatabase(), catalog.name(), clock);
        List<OpOutcome> elsewhere = other.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/s3/other"), WritePolicy.WRITE_BACK, "w1"), id)));
        assertThat(elsewhere.get(0)).as("the same id through another Catalog").isInstanceOfSatisfying(
                OpOutcome.Failure.class, f -> assertThat(f.error()).isInstanceOf(WcacheException.AlreadyExists.class));
        assertThat(catalog.files().lookup(p("/s3/first")).orElseThrow().fileId()).isEqualTo(id);
    }

    /**
     * A session opened and committed in one batch is written once, as committed; one whose commit
     * is refused, or that is aborted, in its own batch leaves exactly what op-by-op application would.
     */
    @Test
    void sessionsOpenedAndCommittedInOneBatchLeaveTheSameRecordsAsSeparateTransactions() {
        long ok = catalog.files().reserveFileId();
        long refused = catalog.files().reserveFileId();
        long aborted = catalog.files().reserveFileId();
        SessionRef okRef = new SessionRef(p("/s3/ok"), ok);
        SessionRef refusedRef = new SessionRef(p("/s3/refused"), refused);
        SessionRef abortedRef = new SessionRef(p("/s3/aborted"), aborted);
        List<OpOutcome> out = catalog.files().apply(List.of(
                new CatalogOp.Begin(BeginRequest.of(p("/s3/ok"), WritePolicy.WRITE_BACK, "w1"), ok),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/refused"), WritePolicy.WRITE_BACK, "w1"), refused),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/aborted"), WritePolicy.WRITE_BACK, "w1"), aborted),
                new CatalogOp.Begin(BeginRequest.of(p("/s3/dup"), WritePolicy.WRITE_BACK, "w1"), ok),
                new CatalogOp.AddExtents(okRef, extents(ok, 2, 10)),
                new CatalogOp.AddExtents(refusedRef, extents(refused, 1, 10)),
                new CatalogOp.AddExtents(abortedRef, extents(aborted, 1, 10)),
                new CatalogOp.Commit(okRef, new CommitRequest(20, "e1", 0)),
                new CatalogOp.Commit(refusedRef, new CommitRequest(99, "e2", 0)),
                new CatalogOp.Abort(abortedRef),
                new CatalogOp.Commit(abortedRef, new CommitRequest(10, "e3", 0))));
        assertThat(out.get(3)).as("a reserved id opens one session, even within one batch")
                .isInstanceOfSatisfying(OpOutcome.Failure.class,
                        f -> assertThat(f.error()).isInstanceOf(WcacheException.AlreadyExists.class));
        assertThat(out.get(7).get(CommitResult.class).committed().size()).isEqualTo(20);
        assertThat(out.get(8)).isInstanceOf(OpOutcome.Failure.class);
        assertThat(out.get(9).get(AbortResult.class).extents()).hasSize(1);
        assertThat(out.get(10)).isInstanceOfSatisfying(OpOutcome.Failure.class,
                f -> assertThat(f.error()).isInstanceOf(WcacheException.NotFound.class));

        assertThat(catalog.files().lookup(p("/s3/ok")).orElseThrow().fileId()).isEqualTo(ok);
        assertThat(catalog.files().session(okRef)).as("the committed session is no longer WRITING")
                .hasValueSatisfying(v -> assertThat(v.state()).isEqualTo(FileState.COMMITTED));
        assertThat(catalog.files().extents(ok)).hasSize(2);
        assertThat(catalog.files().session(refusedRef)).as("a refused commit leaves its session open")
                .hasValueSatisfying(v -> assertThat(v.state()).isEqualTo(FileState.WRITING));
        assertThat(catalog.files().extents(refused)).hasSize(1);
        assertThat(catalog.files().abort(refusedRef).extents()).hasSize(1);
        assertThat(catalog.files().session(abortedRef)).isEmpty();
        assertThat(catalog.files().extents(aborted)).isEmpty();
        assertThat(catalog.files().lookup(p("/s3/aborted"))).isEmpty();
    }

    @Test
    void appendsMoveTheLastWriteTimeInStepsOfTheGranularity() {
        FileVersion s = catalog.files().begin(BeginRequest.of(p("/s3/busy"), WritePolicy.WRITE_BACK, "w1"));
        Instant opened = s.lastWriteTime();
        clock.advance(Duration.ofMillis(SessionWrites.LAST_WRITE_GRANULARITY_MS / 2));
        catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId(), 0, "w1", 1, 0, 10, 1)));
        assertThat(catalog.files().session(s.ref()).orElseThrow().lastWriteTime()).as("within the step").isEqualTo(opened);
        clock.advance(Duration.ofMillis(SessionWrites.LAST_WRITE_GRANULARITY_MS));
        catalog.files().addExtents(s.ref(), List.of(new Extent(s.fileId(), 10, "w1", 1, 10, 10, 2)));
        assertThat(catalog.files().session(s.ref()).orElseThrow().lastWriteTime()).as("a step later")
                .isEqualTo(opened.plusMillis(SessionWrites.LAST_WRITE_GRANULARITY_MS * 3 / 2));
        assertThat(catalog.files().extents(s.fileId())).hasSize(2);
    }

    @Test
    void replaceExtentIsACompareAndSetOnTheStoredLocation() {
        CommitResult w = write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 2, 10);
        Extent first = catalog.files().extents(w.committed().fileId()).get(0);
        Extent moved = new Extent(first.fileId(), first.offset(), "w1", 99, 0, first.length(), first.crc32c());
        assertThat(catalog.locations().replaceExtent(first, moved)).isTrue();
        assertThat(catalog.locations().replaceExtent(first, moved)).as("stale expectation").isFalse();
        assertThat(catalog.files().extents(w.committed().fileId()).get(0).segment()).isEqualTo(99);
        assertThatThrownBy(() -> catalog.locations().replaceExtent(moved,
                new Extent(first.fileId(), first.offset() + 1, "w1", 1, 1, 1, 1)))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThat(catalog.locations().replaceExtent(moved, null)).isTrue();
        assertThat(catalog.locations().allExtents(100)).singleElement().satisfies(e -> assertThat(e.offset()).isEqualTo(10));
    }

    @Test
    void persistQueueStatsCountPendingLeasedRetryingAndBytes() {
        assertThat(catalog.persistQueue().stats()).isEqualTo(new PersistQueueStats(0, 0, 0, 0, 0, Optional.empty()));
        write(catalog, "/s3/a", WritePolicy.WRITE_BACK, 1, 100);
        java.time.Instant first = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        write(catalog, "/s3/b", WritePolicy.WRITE_BACK, 1, 50);
        catalog.files().delete(p("/s3/c"));
        PersistTask a = catalog.persistQueue().claimTasks("p1", Duration.ofMinutes(1), 10).stream()
                .filter(t -> t.path().equals(p("/s3/a"))).findFirst().orElseThrow();
        catalog.persistQueue().reschedule(a, clock.instant().plusSeconds(30), "boom");
        PersistQueueStats stats = catalog.persistQueue().stats();
        assertThat(stats.pending()).isEqualTo(3);
        assertThat(stats.leased()).isEqualTo(2);
        assertThat(stats.retrying()).isEqualTo(1);
        assertThat(stats.bytesPending()).isEqualTo(150);
        assertThat(stats.failedAttempts()).isEqualTo(1);
        assertThat(stats.oldestEnqueued()).contains(first);
    }

    @Test
    void statusTellsLiveDeletedAndNotCachedPathsApart() {
        write(catalog, "/s3/live", WritePolicy.WRITE_BACK, 2, 5);
        write(catalog, "/s3/gone", WritePolicy.WRITE_BACK, 1, 5);
        catalog.files().delete(p("/s3/gone"));
        assertThat(catalog.files().status(p("/s3/live"))).isInstanceOfSatisfying(PathStatus.Live.class,
                l -> assertThat(l.layout().extents()).hasSize(2));
        assertThat(catalog.files().status(p("/s3/gone"))).isInstanceOfSatisfying(PathStatus.Deleted.class,
                d -> assertThat(d.tombstone().generation()).isEqualTo(2));
        assertThat(catalog.files().status(p("/s3/never"))).isInstanceOf(PathStatus.NotCached.class);
    }

    @Test
    void tombstonesAreListedByPrefixInPathOrder() {
        for (String k : List.of("/s3/a/1", "/s3/a/2", "/s3/ab", "/s3/b", "/t/x")) {
            catalog.files().delete(p(k));
        }
        assertThat(catalog.files().tombstones("/s3/a", "", 100)).extracting(t -> t.path().toString())
                .containsExactly("/s3/a/1", "/s3/a/2", "/s3/ab");
        assertThat(catalog.files().tombstones("/s3/", "/s3/a/2", 100)).extracting(t -> t.path().toString())
                .containsExactly("/s3/ab", "/s3/b");
        assertThat(catalog.files().tombstones("", "", 2)).hasSize(2);
    }
}
