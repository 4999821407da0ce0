package io.wcache.schema.catalog;

import com.apple.foundationdb.record.EndpointType;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.tuple.Tuple;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Catalog's files and write sessions ({@link Catalog#files()}): opening a session, recording
 * its extents, committing or aborting it, batches of such operations, and the reads and deletes of
 * a path's committed version (look-up, layout, status, listing, tombstones, tags, damage). Each
 * method is one transaction.
 *
 * <p>Invariants: a path has at most one {@code COMMITTED} version; committing a session makes it
 * that version atomically and returns the one it replaced; generations of a path only grow; a
 * path has at most one persist task, the newest.
 */
public final class CatalogFiles {

    private final CatalogTransactions transactions;
    private final FileIdBlocks ids;
    private final AppliedBatch.Markers markers;
    private final StatusCache statuses;

    CatalogFiles(CatalogTransactions transactions, FileIdBlocks ids, AppliedBatch.Markers markers, StatusCache statuses) {
        this.transactions = transactions;
        this.ids = ids;
        this.markers = markers;
        this.statuses = statuses;
    }

    // ---------------------------------------------------------------- write sessions

    /** Opens a write session: a {@code WRITING} file with a fresh file id and a provisional generation. */
    public FileVersion begin(BeginRequest request) {
        long id = ids.next();
        return transactions.run(t -> t.sessions.begin(request, id));
    }

    /**
     * Reserves a fresh file id without opening a session, so a writer can frame log records with
     * it before the batch that opens the session commits ({@link CatalogOp.Begin#reservedFileId()}).
     * An id that is never used is simply skipped.
     */
    public long reserveFileId() {
        return ids.reserve();
    }

    /** Records where bytes of a session live; refreshes its last-write time. */
    public FileVersion addExtents(SessionRef session, List<Extent> extents) {
        return transactions.run(t -> t.sessions.addExtents(session, extents));
    }

    /**
     * Makes a session the current version of its path, returning the version it superseded (whose
     * extents are deleted from metadata and returned for reclamation) and queueing a persist task
     * for {@code WRITE_BACK}. The request's size must equal the bytes the extents cover, from 0
     * without gaps.
     */
    public CommitResult commit(SessionRef session, CommitRequest request) {
        return transactions.run(t -> t.sessions.commit(session, request));
    }

    /**
     * Every commit whose log sync was not confirmed yet (see {@link CatalogOp.Commit#pendingSync()}),
     * with what it superseded: restart recovery settles each.
     */
    public List<PendingSync> pendingSyncs() {
        return transactions.run(t -> t.pending.all().stream().map(PendingSyncs.Undo::view).toList());
    }

    /** The log syncs of these versions' bytes are confirmed: their undos are dropped. */
    public void confirmSynced(List<Long> fileIds) {
        transactions.run(t -> {
            for (long id : fileIds) {
                t.pending.confirm(id);
            }
            return null;
        });
    }

    /**
     * Rolls the path of {@code fileId}, committed before its log sync was confirmed, back to the
     * version its commit superseded (with that version's extents, persist task and tombstone) and
     * removes {@code fileId}'s version and extent records, returned for release. Empty when there is
     * no undo of {@code fileId} or it is no longer the path's version.
     */
    public Optional<RolledBack> rollBackUnsynced(long fileId) {
        return transactions.run(t -> t.pending.rollBack(fileId));
    }

    /** Drops a session that has not committed, returning its extents for reclamation. */
    public AbortResult abort(SessionRef session) {
        return transactions.run(t -> t.sessions.abort(session));
    }

    /** The session's current record, if it is still open or has committed and is still current. */
    public Optional<FileVersion> session(SessionRef session) {
        return transactions.run(t -> Optional.ofNullable(t.files.load(session.path(), session.fileId()))
                .map(RecordMapping::file));
    }

    /**
     * Applies a batch of operations in one transaction, in order, and returns one outcome per
     * operation. An operation refused by a precondition writes nothing and does not affect the
     * others; later operations see the writes of earlier ones. A batch is applied at most once even
     * when the engine answers its commit with {@code commit_unknown_result} (see {@link AppliedBatch}).
     */
    public List<OpOutcome> apply(List<CatalogOp> ops) {
        long start = System.nanoTime();
        AppliedBatch batch = new AppliedBatch(ops, ids.next(AppliedBatch.freshIdsNeeded(ops)), ids::claimUnused, markers,
                statuses, transactions.clock().millis());
        boolean ok = false;
        try {
            List<OpOutcome> out = transactions.run(batch::attempt);
            ok = true;
            long end = System.nanoTime();
            Stages.record(Stage.ENGINE_COMMIT, end - batch.bodyEndNanos());
            Stages.record(Stage.CATALOG_TXN, end - start);
            return out;
        } finally {
            batch.finished(ok);
        }
    }

    /** Batch markers still stored (tests). */
    int storedBatchMarkers() {
        return markers.stored();
    }

    // ---------------------------------------------------------------- reads

    /** The committed version of a path, if any. */
    public Optional<FileVersion> lookup(NamespacePath path) {
        if (statuses.serving()) {
            return layout(path).map(FileLayout::file);
        }
        return transactions.run(t -> t.files.lookup(path));
    }

    /** The committed version of a path with its extents, read together. */
    public Optional<FileLayout> layout(NamespacePath path) {
        if (statuses.serving()) {
            // One kept status answers it (see status); a miss reads the status, kept for the next read.
            return status(path) instanceof PathStatus.Live live ? Optional.of(live.layout()) : Optional.empty();
        }
        return transactions.run(t -> t.files.layout(path));
    }

    /** The committed version with its extents, or the pending delete, or nothing, in one transaction. */
    public PathStatus status(NamespacePath path) {
        if (!statuses.serving()) {
            return transactions.run(t -> t.files.status(path));
        }
        String key = path.toString();
        PathStatus known = statuses.get(key);
        if (known != null) {
            return known;
        }
        StatusCache.Read read = transactions.run(t -> new StatusCache.Read(t.files.status(path), t.ctx.getReadVersion()));
        statuses.put(key, read);
        return read.status();
    }

    /** The extents of a file (session or committed), in offset order. */
    public List<Extent> extents(long fileId) {
        return transactions.run(t -> t.files.extents(fileId));
    }

    /** One page of committed paths; tombstoned and writing paths are not listed. */
    public ListPage list(ListRequest request) {
        return transactions.run(t -> new CommittedListing(t, request).page());
    }

    /** The pending-delete tombstone of a path, if any. */
    public Optional<Tombstone> tombstone(NamespacePath path) {
        return transactions.run(t -> Optional.ofNullable(t.files.tombstone(path.toString())).map(RecordMapping::tombstone));
    }

    /**
     * Pending deletes of paths starting with {@code prefix} and after {@code startAfter}, in path
     * order, at most {@code limit}: a listing that merges the UFS listing hides these paths.
     */
    public List<Tombstone> tombstones(String prefix, String startAfter, int limit) {
        String low = startAfter != null && NamespacePath.compareCodePoints(startAfter, prefix) >= 0 ? startAfter : prefix;
        boolean exclusive = low.equals(startAfter) && !startAfter.isEmpty();
        String high = prefix.isEmpty() ? null : CommittedListing.successor(prefix);
        TupleRange range = new TupleRange(Tuple.from(RecordTypes.TOMBSTONE, low),
                high == null ? Tuple.from(RecordTypes.TOMBSTONE) : Tuple.from(RecordTypes.TOMBSTONE, high),
                exclusive ? EndpointType.RANGE_EXCLUSIVE : EndpointType.RANGE_INCLUSIVE,
                high == null ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE);
        return transactions.run(t -> t.files.tombstones(range, limit));
    }

    // ---------------------------------------------------------------- changes to a committed version

    /**
     * Replaces the tags of the committed version of {@code path} (S3's PutObjectTagging; an empty
     * map deletes them). The version's bytes, generation and persist state are unchanged. Empty when
     * the path has no committed version in the catalog.
     */
    public Optional<FileVersion> setTags(NamespacePath path, Map<String, String> tags) {
        return transactions.run(t -> t.sessions.setTags(path, tags));
    }

    /**
     * Records {@code etag} as the ETag of the committed version of {@code path} with {@code
     * generation}, which committed without one (a write that left its MD5 for later). Nothing else
     * of the version changes, and a version that has an ETag keeps it. The version as it is now;
     * empty when the path's committed version is not that generation any more.
     */
    public Optional<FileVersion> setEtag(NamespacePath path, long generation, String etag) {
        if (etag == null || etag.isEmpty()) {
            throw new IllegalArgumentException("an ETag is required");
        }
        return transactions.run(t -> t.sessions.setEtag(path, generation, etag));
    }

    /**
     * Marks the committed version {@code ref} damaged: its cached bytes failed their checksum and
     * the UFS does not hold it. The version stays the path's committed version (it is neither
     * rolled back nor replaced by an older one, and nothing is deleted from the UFS); its extent
     * records are removed (the bytes are unusable) and returned so the caller can release them.
     * Empty when {@code ref} is not a committed version any more, or is persisted.
     */
    public Optional<List<Extent>> markDamaged(SessionRef ref, String damage) {
        requireDamage(damage);
        return transactions.run(t -> t.sessions.markDamaged(ref, damage));
    }

    /**
     * {@link #markDamaged(SessionRef, String)} of the committed version with file id {@code fileId}
     * (as the log store knows a record: by its file id). Empty when no committed, unpersisted
     * version has that id (a part of a multipart upload, a session, a persisted version).
     */
    public Optional<Map.Entry<FileVersion, List<Extent>>> markDamaged(long fileId, String damage) {
        requireDamage(damage);
        return transactions.run(t -> {
            WcacheRecords.File f = t.files.byId(fileId);
            if (f == null) {
                return Optional.empty();
            }
            FileVersion v = RecordMapping.file(f);
            return t.sessions.markDamaged(v.ref(), damage).map(ext -> Map.entry(v, ext));
        });
    }

    private static void requireDamage(String damage) {
        if (damage == null || damage.isEmpty()) {
            throw new IllegalArgumentException("a damage description is required");
        }
    }

    /**
     * Deletes a path: its committed version (if metadata has one) is removed and its extents
     * returned for reclamation, and a tombstone and a UFS-delete task are left until the persister
     * has deleted the UFS object. Sessions still writing the path are untouched; a later commit
     * makes the path live again.
     */
    public DeleteResult delete(NamespacePath path) {
        return transactions.run(t -> t.sessions.delete(path));
    }

    /**
     * A synchronous write ({@code NO_CACHE}) has just replaced the path's UFS object: whatever the
     * Catalog holds of the path is older and is dropped in one transaction, so that neither a read
     * (the cached version) nor the persister (a pending upload or delete) can bring the older state
     * back: the committed version and its extents (returned for reclamation), the persist task and
     * the tombstone. Sessions still writing the path are untouched.
     */
    public UfsReplacement replacedInUfs(NamespacePath path) {
        return transactions.run(t -> t.sessions.replacedInUfs(path));
    }

    /**
     * S3 bucket versioning: the archived version {@code fileId} at {@code archive} was copied in
     * the object store from the key where it was current to its archive key (or, with a
     * {@code damage} description, its source was gone); see {@link VersionArchive}.
     */
    public boolean archiveCopied(NamespacePath archive, long fileId, String damage) {
        return transactions.run(t -> t.versions.archiveCopied(archive, fileId, damage == null ? "" : damage));
    }

    /**
     * S3 DeleteObject without a version id in a versioned bucket ({@code markerVersionId} empty in a
     * Suspended one): archives the current version and adds a delete marker; see {@link VersionArchive}.
     */
    public VersionedDeleteResult deleteWithMarker(NamespacePath path, boolean enabled) {
        long id = ids.next();
        String vid = enabled ? ObjectVersions.versionIdOf(id) : "";
        return transactions.run(t -> t.versions.deleteWithMarker(path, id, vid));
    }

    /** S3 DeleteObject of one version ({@code "null"}: the null version); see {@link VersionArchive}. */
    public VersionedDeleteResult deleteVersion(NamespacePath path, String versionId) {
        return transactions.run(t -> t.versions.deleteVersion(path, versionId));
    }

    /**
     * The archived versions and delete markers of a bucket whose keys start with {@code keyPrefix}
     * and whose archive path comes after {@code startAfter} (empty: from the start), at most
     * {@code limit}, in archive-path order; with the archive path as each one's path.
     */
    public ListPage archivedVersions(String bucket, String keyPrefix, String startAfter, int limit) {
        String prefix = ObjectVersions.archiveRoot(bucket) + "/" + keyPrefix;
        return list(new ListRequest(prefix, "", startAfter, limit, Optional.empty()));
    }

    // ---------------------------------------------------------------- sweeps

    /** Write sessions whose last write is older than {@code lastWriteBefore} (dangling), oldest first. */
    public List<FileVersion> idleSessions(Instant lastWriteBefore, int limit) {
        return transactions.run(t -> t.files.sessionsBefore(WcacheMetaData.FILE_BY_STATE_LAST_WRITE, lastWriteBefore, limit));
    }

    /** Write sessions created before {@code createdBefore} (orphans), oldest first. */
    public List<FileVersion> sessionsCreatedBefore(Instant createdBefore, int limit) {
        return transactions.run(t -> t.files.sessionsBefore(WcacheMetaData.FILE_BY_STATE_CREATED, createdBefore, limit));
    }
}
