package io.wcache.schema.catalog;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The writes that change which version a path has, within one transaction: opening a write
 * session, recording its extents, committing it (superseding the current version and queueing its
 * persist task), aborting it, deleting a path, marking a version damaged, and dropping what a
 * {@code NO_CACHE} write replaced. Every method checks all its preconditions before it writes.
 */
final class SessionWrites {

    /**
     * A session's last-write time moves in steps of at least this much: the dangling-session sweep
     * works in seconds or more, and each step rewrites the session record.
     */
    static final long LAST_WRITE_GRANULARITY_MS = 100;

    private final Tx t;

    /**
     * Sessions opened by this transaction whose commit comes later in the same batch: their
     * WRITING record is kept here instead of being written and then rewritten (and its six
     * index entries with it); one still here when the batch ends (its commit was refused) is
     * written by {@link #flushDeferred}, so the batch leaves the same records as op-by-op
     * application would.
     */
    private final Map<Long, WcacheRecords.File> deferred = new HashMap<>();

    /**
     * The extents added by this transaction to each session in {@link #deferred}, by offset: such
     * a session was opened by this transaction with a reserved id no record uses, so these are
     * all of its extents, and its commit checks them here instead of scanning them back.
     */
    private final Map<Long, TreeMap<Long, Extent>> deferredExtents = new HashMap<>();

    /**
     * Each path's committed version and tombstone as this transaction read them, kept from a
     * session's open to its commit in the same batch; dropped whenever a write here changes
     * either (a commit, a delete, a UFS replacement, damage, tags).
     */
    private final Map<String, PathState> pathStates = new HashMap<>();
    /**
     * The layout each path committed in this transaction has when it ends, when known whole: a
     * session opened and committed here (all its extents added here) and nothing else of the path
     * written here; null for a path committed otherwise, or written again after its commit.
     */
    private final Map<String, FileLayout> committedLayouts = new HashMap<>();

    private record PathState(WcacheRecords.File current, WcacheRecords.Tombstone tomb) {
    }

    SessionWrites(Tx t) {
        this.t = t;
    }

    FileVersion begin(BeginRequest req, long fileId) {
        return begin(req, fileId, false);
    }

    /** Opens a {@code WRITING} session; with {@code defer}, its record is written by its commit or {@link #flushDeferred}. */
    FileVersion begin(BeginRequest req, long fileId, boolean defer) {
        NamespacePath path = req.path();
        if (!req.policy().cachesWrites()) {
            throw new WcacheException.InvalidArgument(path.toString(),
                    "policy " + req.policy() + " caches no writes; no write session is opened");
        }
        requireInsideMount(path);
        if (req.writeReplicas() < 1 || req.writeReplicas() > PathRule.MAX_WRITE_REPLICAS) {
            throw new WcacheException.InvalidArgument(path.toString(), "writeReplicas " + req.writeReplicas()
                    + " is out of range 1.." + PathRule.MAX_WRITE_REPLICAS);
        }
        String p = path.toString();
        PathState st = pathState(p);
        long generation = FileRecords.nextGeneration(st.current(), st.tomb());
        WcacheRecords.File rec = WcacheRecords.File.newBuilder().setPath(p).setFileId(fileId)
                .setGeneration(generation).setState(WcacheRecords.FileState.WRITING)
                .setPersistState(WcacheRecords.PersistState.NOT_PERSISTED).setPolicy(req.policy().name())
                .setWriteReplicas(req.writeReplicas()).setSize(0).setContentType(req.contentType())
                .addAllUserMetadata(RecordMapping.keyValues(req.userMetadata()))
                .addAllStandardHeaders(RecordMapping.keyValues(req.standardHeaders()))
                .addAllTags(RecordMapping.keyValues(req.tags())).setCreatedTimeMs(t.now)
                .setLastWriteTimeMs(t.now).setOwnerWorker(req.ownerWorker())
                .addAllReplicaWorkers(req.replicaWorkers()).build();
        if (!req.versioning().isEmpty()) {
            if (req.policy() != WritePolicy.WRITE_BACK) {
                throw new WcacheException.InvalidArgument(p, "a versioned bucket keeps versions of WRITE_BACK paths only;"
                        + " this path's policy is " + req.policy());
            }
            WcacheRecords.File.Builder vb = rec.toBuilder().setKeepVersions(true);
            if (req.versioning().equals(BeginRequest.ENABLED)) {
                vb.setVersionId(ObjectVersions.versionIdOf(fileId));
            }
            rec = vb.build();
        }
        if (defer) {
            deferred.put(fileId, rec);
            deferredExtents.put(fileId, new TreeMap<>());
        } else {
            t.store.saveRecord(rec);
        }
        return RecordMapping.file(rec);
    }

    /** A reserved id may open one session only: reuse would make two versions share extents. */
    long checkReserved(long fileId, boolean knownUnused) {
        if (fileId <= 0) {
            throw new WcacheException.InvalidArgument(String.valueOf(fileId), "file id " + fileId + " was not reserved");
        }
        if (deferred.containsKey(fileId) || (!knownUnused && t.files.byId(fileId) != null)) {
            throw new WcacheException.AlreadyExists(String.valueOf(fileId), "file id " + fileId + " is already in use");
        }
        return fileId;
    }

    /** Writes the sessions opened by this batch whose commit did not come. */
    void flushDeferred() {
        for (WcacheRecords.File session : deferred.values()) {
            t.store.saveRecord(session);
        }
        deferred.clear();
        deferredExtents.clear();
    }

    /** A write outside this class changed the path's committed version or tombstone. */
    void forget(String p) {
        pathStates.remove(p);
        if (committedLayouts.containsKey(p)) {
            committedLayouts.put(p, null);
        }
    }

    private PathState pathState(String p) {
        PathState st = pathStates.get(p);
        if (st == null) {
            st = new PathState(t.files.committedAt(p), t.files.tombstone(p));
            pathStates.put(p, st);
        }
        return st;
    }

    FileVersion addExtents(SessionRef ref, List<Extent> extents) {
        WcacheRecords.File s = requireSession(ref);
        for (Extent e : extents) {
            e.validateFor(ref);
        }
        TreeMap<Long, Extent> here = deferredExtents.get(ref.fileId());
        for (Extent e : extents) {
            t.files.saveExtent(e);
            if (here != null) {
                here.put(e.offset(), e);
            }
        }
        if (t.now - s.getLastWriteTimeMs() < LAST_WRITE_GRANULARITY_MS) {
            // Written a moment ago: rewriting the session record (and its six index entries) for
            // every record of a large write only moves last-write time by milliseconds.
            return RecordMapping.file(s);
        }
        WcacheRecords.File updated = s.toBuilder().setLastWriteTimeMs(t.now).build();
        if (deferred.containsKey(ref.fileId())) {
            deferred.put(ref.fileId(), updated);
        } else {
            t.store.saveRecord(updated);
        }
        return RecordMapping.file(updated);
    }

    CommitResult commit(SessionRef ref, CommitRequest req) {
        return commit(ref, req, false, null);
    }

    /**
     * Commits a session; with {@code pendingSync} (its bytes' log sync not yet confirmed) the undo
     * of this commit is kept until it is ({@link PendingSyncs}), with {@code copy} (the body) when given.
     */
    CommitResult commit(SessionRef ref, CommitRequest req, boolean pendingSync, byte[] copy) {
        WcacheRecords.File s = requireSession(ref);
        String p = ref.path().toString();
        List<Extent> openedHere = requireCoverage(ref, req.size());
        for (ReplicaCopy c : req.replicas()) {
            ReplicaCopies.requireCopy(t, p, c, req.size());
        }
        PathState st = pathState(p);
        WcacheRecords.File current = st.current();
        WcacheRecords.Tombstone tomb = st.tomb();
        checkCondition(p, req.condition(), current, tomb);
        WritePolicy policy = WritePolicy.valueOf(s.getPolicy());
        // A WRITE_BACK commit always replaces the path's task (settleUfsWork), so it is read for that.
        WcacheRecords.PersistTask existingTask = policy == WritePolicy.WRITE_BACK ? t.tasks.taskForUpdate(p) : t.tasks.task(p);
        long generation = FileRecords.nextGeneration(current, tomb);
        // All preconditions hold: from here on, only writes.
        pathStates.remove(p);
        Optional<FileVersion> superseded = Optional.empty();
        List<Extent> supersededExtents = List.of();
        WcacheRecords.File.Builder cb = s.toBuilder();
        boolean archived = current != null && s.getKeepVersions() && t.versions.archives(current, s);
        if (archived) {
            VersionArchive.Archived a = t.versions.archive(p, current);
            cb.addAllArchiveFirst(a.archiveFirst());
            supersededExtents = a.displacedExtents();
            superseded = a.displaced();
        } else if (current != null) {
            // Copies still owed to archived versions from the object-store object travel with it.
            cb.addAllArchiveFirst(current.getArchiveFirstList());
            supersededExtents = t.files.removeCommitted(p, current);
            superseded = Optional.of(RecordMapping.file(current));
        } else if (tomb != null) {
            cb.addAllArchiveFirst(tomb.getArchiveFirstList());
        }
        if (s.getKeepVersions() && s.getVersionId().isEmpty() && superseded.isEmpty()) {
            // A null version replaces the archived null version, as on S3.
            VersionArchive.Archived displaced = t.versions.dropArchivedNull(ref.path());
            supersededExtents = displaced.displacedExtents();
            superseded = displaced.displaced();
        }
        cb.setState(WcacheRecords.FileState.COMMITTED)
                .setGeneration(generation).setPersistState(persistStateAfterCommit(policy)).setSize(req.size())
                .setEtag(req.etag()).setCrc32C(req.crc32c()).setCommittedTimeMs(t.now).setLastWriteTimeMs(t.now);
        req.checksum().ifPresent(c -> cb.setChecksum(RecordMapping.checksum(c)));
        if (!req.replicas().isEmpty()) {
            cb.clearReplicaWorkers().clearReplicaFileIds();
            for (ReplicaCopy c : req.replicas()) {
                cb.addReplicaWorkers(c.worker()).addReplicaFileIds(c.copyFileId());
            }
        }
        WcacheRecords.File committed = cb.build();
        t.store.saveRecord(committed);
        deferred.remove(ref.fileId());
        FileVersion result = RecordMapping.file(committed);
        t.space.account(result, +1);
        if (pendingSync && copy != null) {
            // Never rolled back (its lost records are written again from the copy): no undo records.
            t.pending.record(p, ref.fileId(), generation, null, List.of(), null, null, copy);
        } else if (pendingSync) {
            // An archived version is not removed: a rollback brings it back from the archive
            // (VersionArchive.restoreNewest), so the undo holds no version of its own.
            t.pending.record(p, ref.fileId(), generation, archived ? null : current,
                    archived ? List.of() : supersededExtents, existingTask, tomb, null);
        }
        long queued = settleUfsWork(policy, p, committed, tomb, existingTask);
        committedLayouts.put(p, openedHere == null || s.getKeepVersions() || committedLayouts.containsKey(p) ? null
                : new FileLayout(result, openedHere));
        return new CommitResult(result, superseded, supersededExtents, queued != NOT_QUEUED,
                queued > 0 ? Optional.of(Instant.ofEpochMilli(queued)) : Optional.empty());
    }

    /** The paths committed in this transaction with the layout each ends with, where known (see the field). */
    Map<String, FileLayout> committedLayouts() {
        return committedLayouts;
    }

    /**
     * A commit's size must equal the bytes its extents cover, from 0 without gaps or overlaps.
     * Returns the extents when the session was opened in this transaction (all of them were added
     * here), else null.
     */
    private List<Extent> requireCoverage(SessionRef ref, long size) {
        String p = ref.path().toString();
        long covered = 0;
        TreeMap<Long, Extent> here = deferredExtents.remove(ref.fileId());
        for (Extent e : here != null ? here.values() : t.files.extents(ref.fileId())) {
            if (e.offset() != covered) {
                throw new WcacheException.InvalidArgument(p, "extents of session " + ref.fileId()
                        + (e.offset() > covered ? " leave a gap" : " overlap") + " at offset " + covered);
            }
            covered = e.end();
        }
        if (covered != size) {
            throw new WcacheException.InvalidArgument(p, "commit of session " + ref.fileId() + " says " + size
                    + " bytes but its extents cover " + covered);
        }
        return here == null ? null : List.copyOf(here.values());
    }

    private static WcacheRecords.PersistState persistStateAfterCommit(WritePolicy policy) {
        return switch (policy) {
            case WRITE_BACK -> WcacheRecords.PersistState.NOT_PERSISTED;
            case TRANSIENT -> WcacheRecords.PersistState.TRANSIENT_ONLY;
            default -> WcacheRecords.PersistState.PERSISTED;
        };
    }

    /** {@link #settleUfsWork}: no task queued. */
    private static final long NOT_QUEUED = -1;
    /** {@link #settleUfsWork}: a task queued without a lease of the commit's own. */
    private static final long QUEUED_UNLEASED = 0;

    /**
     * What a commit leaves for the UFS: {@code WRITE_BACK} queues the upload, leased at once to this
     * worker's persister when its bytes have no replicas (the lease's expiry, in epoch ms, is
     * returned; {@link #QUEUED_UNLEASED} when it is not leased so); a {@code WRITE_THROUGH} version
     * is in the UFS already, so pending work on older states is obsolete; {@code TRANSIENT} never
     * uploads, so an older upload is obsolete but a pending delete is not ({@link #NOT_QUEUED}).
     *
     * <p>A version with replicas is never leased at commit: if this worker dies, a replica holder
     * takes the version over only once no lease on its upload runs, and it should not wait for one
     * that no upload used.
     */
    private long settleUfsWork(WritePolicy policy, String p, WcacheRecords.File committed,
                               WcacheRecords.Tombstone tomb, WcacheRecords.PersistTask existingTask) {
        switch (policy) {
            case WRITE_BACK -> {
                CommitLease lease = committed.getWriteReplicas() <= 1 && committed.getReplicaWorkersCount() == 0
                        ? t.commitLease : null;
                long leasedUntil = t.tasks.upsert(p, TaskKind.UPLOAD, committed.getFileId(), committed.getGeneration(),
                        committed.getSize(), existingTask, lease);
                if (tomb != null) {
                    t.files.deleteTombstone(p);
                }
                return leasedUntil > 0 ? leasedUntil : QUEUED_UNLEASED;
            }
            case WRITE_THROUGH -> {
                if (tomb != null) {
                    t.files.deleteTombstone(p);
                }
                if (existingTask != null) {
                    t.tasks.delete(p);
                }
                return NOT_QUEUED;
            }
            default -> {
                if (existingTask != null && existingTask.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                    t.tasks.delete(p);
                }
                return NOT_QUEUED;
            }
        }
    }

    /**
     * Refuses a commit whose condition the path's committed version does not meet: read in this
     * transaction, so of racing conditional writers the first commit wins and the others fail.
     */
    private static void checkCondition(String p, WriteCondition c, WcacheRecords.File current,
                                       WcacheRecords.Tombstone tomb) {
        if (c.mustBeAbsent() && current != null) {
            throw new WcacheException.AlreadyExists(p, "object exists (a create that requires absence lost the race)");
        }
        if (!c.etagMatch().isEmpty()) {
            if (current == null && tomb != null) {
                throw new WcacheException.Conflict(p, "object was deleted; If-Match " + c.etagMatch() + " fails");
            }
            if (current != null && !c.matches(current.getEtag())) {
                throw new WcacheException.Conflict(p, "object's ETag is " + current.getEtag() + ", not one of "
                        + c.etagMatch());
            }
        }
    }

    AbortResult abort(SessionRef ref) {
        WcacheRecords.File s = requireSession(ref);
        List<Extent> ext = t.files.deleteExtents(ref.fileId());
        deferredExtents.remove(ref.fileId());
        if (deferred.remove(ref.fileId()) == null) {
            t.files.delete(ref.path().toString(), ref.fileId());
        }
        return new AbortResult(RecordMapping.file(s), ext);
    }

    private WcacheRecords.File requireSession(SessionRef ref) {
        WcacheRecords.File d = deferred.get(ref.fileId());
        WcacheRecords.File s = d != null && d.getPath().equals(ref.path().toString()) ? d
                : t.files.load(ref.path(), ref.fileId());
        if (s == null) {
            throw new WcacheException.NotFound(ref.path().toString(),
                    "no write session " + ref.fileId() + " for " + ref.path() + " (aborted, swept or superseded)");
        }
        if (s.getState() != WcacheRecords.FileState.WRITING) {
            throw new WcacheException.Conflict(ref.path().toString(),
                    "write session " + ref.fileId() + " for " + ref.path() + " has already committed");
        }
        return s;
    }

    DeleteResult delete(NamespacePath path) {
        requireInsideMount(path);
        String p = path.toString();
        WcacheRecords.File current = t.files.committedAt(p);
        WcacheRecords.Tombstone tomb = t.files.tombstone(p);
        WcacheRecords.PersistTask existingTask = t.tasks.task(p);
        long generation = FileRecords.nextGeneration(current, tomb);
        pathStates.remove(p);
        Optional<FileVersion> removed = Optional.empty();
        List<Extent> ext = List.of();
        if (current != null) {
            ext = t.files.removeCommitted(p, current);
            removed = Optional.of(RecordMapping.file(current));
        }
        long fileId = current == null ? 0 : current.getFileId();
        WcacheRecords.Tombstone tombstone = WcacheRecords.Tombstone.newBuilder().setPath(p).setGeneration(generation)
                .setFileId(fileId).setDeletedTimeMs(t.now).build();
        t.store.saveRecord(tombstone);
        t.tasks.upsert(p, TaskKind.DELETE, fileId, generation, 0, existingTask);
        return new DeleteResult(removed, ext, RecordMapping.tombstone(tombstone));
    }

    /** See {@link CatalogFiles#replacedInUfs}. */
    UfsReplacement replacedInUfs(NamespacePath path) {
        String p = path.toString();
        WcacheRecords.File current = t.files.committedAt(p);
        pathStates.remove(p);
        Optional<FileVersion> dropped = Optional.empty();
        List<Extent> ext = List.of();
        if (current != null) {
            ext = t.files.removeCommitted(p, current);
            dropped = Optional.of(RecordMapping.file(current));
        }
        t.files.deleteTombstone(p);
        boolean task = t.tasks.delete(p);
        return new UfsReplacement(dropped, ext, task);
    }

    /** See {@link CatalogFiles#markDamaged(SessionRef, String)}. */
    Optional<List<Extent>> markDamaged(SessionRef ref, String damage) {
        WcacheRecords.File f = t.files.load(ref.path(), ref.fileId());
        if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED
                || f.getPersistState() == WcacheRecords.PersistState.PERSISTED) {
            return Optional.empty();
        }
        pathStates.remove(ref.path().toString());
        t.store.saveRecord(f.toBuilder().setDamage(damage).build());
        return Optional.of(t.files.deleteExtents(f.getFileId()));
    }

    /** See {@link CatalogFiles#setTags}. */
    Optional<FileVersion> setTags(NamespacePath path, Map<String, String> tags) {
        WcacheRecords.File f = t.files.committedAt(path.toString());
        if (f == null) {
            return Optional.empty();
        }
        pathStates.remove(path.toString());
        WcacheRecords.File updated = f.toBuilder().clearTags().addAllTags(RecordMapping.keyValues(tags)).build();
        t.store.saveRecord(updated);
        return Optional.of(RecordMapping.file(updated));
    }

    /** See {@link CatalogFiles#setEtag}. */
    Optional<FileVersion> setEtag(NamespacePath path, long generation, String etag) {
        WcacheRecords.File f = t.files.committedAt(path.toString());
        if (f == null || f.getGeneration() != generation) {
            return Optional.empty();
        }
        if (!f.getEtag().isEmpty()) {
            return Optional.of(RecordMapping.file(f));
        }
        pathStates.remove(path.toString());
        WcacheRecords.File updated = f.toBuilder().setEtag(etag).build();
        t.store.saveRecord(updated);
        return Optional.of(RecordMapping.file(updated));
    }

    static void requireInsideMount(NamespacePath path) {
        if (path.depth() < 2) {
            throw new WcacheException.InvalidPath(path.toString(), "a file must be inside a mount: /<mount>/<key>");
        }
    }
}
