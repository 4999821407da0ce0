package io.wcache.schema.catalog;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.path.ObjectVersions;
import io.wcache.schema.proto.WcacheRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * S3 bucket versioning within one transaction (docs/S3-COMPATIBILITY.md, Versioning): moving the
 * current version of a path to its archive path ({@link ObjectVersions#archivePath}) when a newer
 * version or a delete marker supersedes it, and bringing the newest archived one back when the
 * current version is deleted by id.
 *
 * <p>An archived version keeps its file id, so its extents stay where they are. How its bytes reach
 * the object store's archive key depends on where they are: not yet persisted, it gets an upload
 * task of its archive path (from the cache, where they stay pinned until then); already persisted
 * at the object's key, it remembers that key ({@code ufs_source}) and the path's next version or
 * delete carries its archive path in {@code archive_first}, so the persister copies it in the
 * object store before that object is replaced or deleted there.
 */
final class VersionArchive {

    private final Tx t;

    VersionArchive(Tx t) {
        this.t = t;
    }

    /**
     * What archiving left: the archive paths the path's next object-store change must copy first,
     * and an archived null version it displaced (with its extents, to reclaim).
     */
    record Archived(List<String> archiveFirst, Optional<FileVersion> displaced, List<Extent> displacedExtents) {
        static final Archived NOTHING = new Archived(List.of(), Optional.empty(), List.of());
    }

    /** Whether committing {@code session} over {@code current} keeps {@code current}: a null version replaces a null version. */
    boolean archives(WcacheRecords.File current, WcacheRecords.File session) {
        return !(current.getVersionId().isEmpty() && session.getVersionId().isEmpty());
    }

    /** Moves {@code current}, the committed version of {@code p}, to its archive path. */
    Archived archive(String p, WcacheRecords.File current) {
        NamespacePath path = NamespacePath.of(p);
        NamespacePath archive;
        try {
            archive = ObjectVersions.archivePath(path, current.getVersionId());
        } catch (WcacheException.InvalidPath e) {
            throw new WcacheException.InvalidArgument(p, "the key's last segment is too long to keep its versions: "
                    + e.getMessage());
        }
        String a = archive.toString();
        WcacheRecords.File old = t.files.committedAt(a);
        Optional<FileVersion> displaced = Optional.empty();
        List<Extent> displacedExtents = List.of();
        if (old != null) {
            displacedExtents = t.files.removeCommitted(a, old);
            displaced = Optional.of(RecordMapping.file(old));
        }
        WcacheRecords.Tombstone tomb = t.files.tombstone(a);
        long generation = FileRecords.nextGeneration(old, tomb);
        if (tomb != null) {
            t.files.deleteTombstone(a);
        }
        WcacheRecords.PersistTask existingTask = t.tasks.task(a);
        WcacheRecords.File.Builder b = current.toBuilder().setPath(a).setGeneration(generation).clearArchiveFirst();
        List<String> first = new ArrayList<>(current.getArchiveFirstList());
        switch (current.getPersistState()) {
            case PERSISTED -> {
                b.setUfsSource(path.relativeToMount());
                first.add(a);
                if (existingTask != null) {
                    t.tasks.delete(a);
                }
            }
            case TRANSIENT_ONLY -> {
                if (existingTask != null) {
                    t.tasks.delete(a);
                }
            }
            default -> {
                b.setPersistState(WcacheRecords.PersistState.NOT_PERSISTED);
                t.tasks.upsert(a, TaskKind.UPLOAD, current.getFileId(), generation, current.getSize(), existingTask);
            }
        }
        t.files.delete(p, current.getFileId());
        t.space.account(RecordMapping.file(current), -1);
        WcacheRecords.File archived = b.build();
        t.store.saveRecord(archived);
        t.space.account(RecordMapping.file(archived), +1);
        return new Archived(first, displaced, displacedExtents);
    }

    /** Deletes the archived null version of {@code path}, if any (a new null version replaces it). */
    Archived dropArchivedNull(NamespacePath path) {
        NamespacePath a;
        try {
            a = ObjectVersions.archivePath(path, "");
        } catch (WcacheException.InvalidPath e) {
            return Archived.NOTHING;
        }
        if (t.files.committedAt(a.toString()) == null) {
            return Archived.NOTHING;
        }
        DeleteResult d = t.sessions.delete(a);
        return new Archived(List.of(), d.removed(), d.extents());
    }

    /**
     * The persister copied archived version {@code fileId} of {@code archive} from its object-store
     * source to the archive key ({@code damage} empty), or found the source gone ({@code damage}
     * says so): it no longer depends on the object's key. False when that version is not there or
     * has no source any more.
     */
    boolean archiveCopied(NamespacePath archive, long fileId, String damage) {
        WcacheRecords.File f = t.files.load(archive, fileId);
        if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED || f.getUfsSource().isEmpty()) {
            return false;
        }
        WcacheRecords.File.Builder b = f.toBuilder().clearUfsSource();
        if (!damage.isEmpty()) {
            b.setDamage(damage);
        }
        t.store.saveRecord(b.build());
        return true;
    }

    // ---------------------------------------------------------------- deletes in a versioned bucket

    /**
     * S3 DeleteObject without a version id in a versioned bucket: the current version (if any) is
     * archived, the path is deleted (a tombstone and an object-store delete, after the archive copies
     * it owes), and a delete marker with id {@code markerVersionId} (empty: the null version, in a
     * Suspended bucket) becomes the latest version. {@code markerFileId} is a fresh file id.
     */
    VersionedDeleteResult deleteWithMarker(NamespacePath path, long markerFileId, String markerVersionId) {
        SessionWrites.requireInsideMount(path);
        String p = path.toString();
        WcacheRecords.File current = t.files.committedAt(p);
        WcacheRecords.Tombstone tomb = t.files.tombstone(p);
        WcacheRecords.PersistTask existingTask = t.tasks.task(p);
        long generation = FileRecords.nextGeneration(current, tomb);
        t.sessions.forget(p);
        List<String> first = new ArrayList<>();
        Optional<FileVersion> displaced = Optional.empty();
        List<Extent> displacedExtents = new ArrayList<>();
        if (current != null && !(current.getVersionId().isEmpty() && markerVersionId.isEmpty())) {
            Archived a = archive(p, current);
            first.addAll(a.archiveFirst());
            displaced = a.displaced();
            displacedExtents.addAll(a.displacedExtents());
        } else if (current != null) {
            first.addAll(current.getArchiveFirstList());
            displacedExtents.addAll(t.files.removeCommitted(p, current));
            displaced = Optional.of(RecordMapping.file(current));
        } else if (tomb != null) {
            first.addAll(tomb.getArchiveFirstList());
        }
        if (markerVersionId.isEmpty() && displaced.isEmpty()) {
            Archived d = dropArchivedNull(path);
            displaced = d.displaced();
            displacedExtents.addAll(d.displacedExtents());
        }
        WcacheRecords.Tombstone tombstone = WcacheRecords.Tombstone.newBuilder().setPath(p).setGeneration(generation)
                .setFileId(current == null ? 0 : current.getFileId()).setDeletedTimeMs(t.now)
                .addAllArchiveFirst(first).build();
        t.store.saveRecord(tombstone);
        t.tasks.upsert(p, TaskKind.DELETE, tombstone.getFileId(), generation, 0, existingTask);
        NamespacePath markerPath = ObjectVersions.archivePath(path, markerVersionId);
        String m = markerPath.toString();
        WcacheRecords.File oldMarker = t.files.committedAt(m);
        if (oldMarker != null) {
            displacedExtents.addAll(t.files.removeCommitted(m, oldMarker));
        }
        WcacheRecords.Tombstone markerTomb = t.files.tombstone(m);
        WcacheRecords.File marker = WcacheRecords.File.newBuilder().setPath(m).setFileId(markerFileId)
                .setGeneration(FileRecords.nextGeneration(oldMarker, markerTomb))
                .setState(WcacheRecords.FileState.COMMITTED).setPersistState(WcacheRecords.PersistState.PERSISTED)
                .setPolicy(io.wcache.core.policy.WritePolicy.WRITE_BACK.name()).setWriteReplicas(1).setSize(0)
                .setEtag("").setContentType("").setCreatedTimeMs(t.now).setLastWriteTimeMs(t.now)
                .setCommittedTimeMs(t.now).setOwnerWorker("").setVersionId(markerVersionId).setDeleteMarker(true)
                .build();
        t.store.saveRecord(marker);
        return new VersionedDeleteResult(current != null, Optional.of(RecordMapping.file(marker)), displaced,
                displacedExtents, Optional.of(RecordMapping.tombstone(tombstone)));
    }

    /**
     * S3 DeleteObject of version {@code versionId} ({@code "null"}: the null version): an archived
     * version (or delete marker) is removed with its archive object; the current version is deleted
     * and the newest archived version, unless it is a delete marker, becomes current again. When the
     * removed version was the latest delete marker, the newest remaining version comes back. Nothing
     * found: nothing changes.
     */
    VersionedDeleteResult deleteVersion(NamespacePath path, String versionId) {
        SessionWrites.requireInsideMount(path);
        String p = path.toString();
        String vid = ObjectVersions.NULL_VERSION.equals(versionId) ? "" : versionId;
        WcacheRecords.File current = t.files.committedAt(p);
        t.sessions.forget(p);
        if (current != null && current.getVersionId().equals(vid)) {
            DeleteResult d = t.sessions.delete(path);
            t.sessions.forget(p);
            List<Extent> ext = new ArrayList<>(d.extents());
            Optional<FileVersion> restored = restoreNewest(path);
            return new VersionedDeleteResult(true, d.removed(), d.removed(), ext,
                    restored.isPresent() ? Optional.empty() : Optional.of(d.tombstone()));
        }
        NamespacePath archive;
        try {
            archive = ObjectVersions.archivePath(path, vid);
        } catch (WcacheException.InvalidPath e) {
            return new VersionedDeleteResult(false, Optional.empty(), Optional.empty(), List.of(), Optional.empty());
        }
        WcacheRecords.File archived = t.files.committedAt(archive.toString());
        if (archived == null) {
            return new VersionedDeleteResult(false, Optional.empty(), Optional.empty(), List.of(), Optional.empty());
        }
        DeleteResult d = t.sessions.delete(archive);
        t.sessions.forget(archive.toString());
        if (current == null && archived.getDeleteMarker()) {
            restoreNewest(path);
        }
        return new VersionedDeleteResult(true, d.removed(), d.removed(), d.extents(), Optional.empty());
    }

    /** The archived versions of {@code path} (delete markers included), newest first. */
    List<WcacheRecords.File> archivedOf(NamespacePath path) {
        String prefix;
        try {
            prefix = ObjectVersions.archivePath(path, "").toString();
        } catch (WcacheException.InvalidPath e) {
            return List.of();
        }
        prefix = prefix.substring(0, prefix.length() - ObjectVersions.NULL_VERSION.length());
        List<WcacheRecords.File> out = new ArrayList<>();
        for (FileVersion v : new CommittedListing(t, ListRequest.of(prefix, "", ListRequest.MAX_LIMIT)).page().files()) {
            String rest = v.path().toString().substring(prefix.length());
            if (ObjectVersions.isVersionId(rest)) {
                WcacheRecords.File f = t.files.load(v.path(), v.fileId());
                if (f != null) {
                    out.add(f);
                }
            }
        }
        out.sort((a, b) -> a.getCommittedTimeMs() != b.getCommittedTimeMs()
                ? Long.compare(b.getCommittedTimeMs(), a.getCommittedTimeMs()) : Long.compare(b.getFileId(), a.getFileId()));
        return out;
    }

    /**
     * Makes the newest archived version of {@code path} (which has no current version now) current
     * again, unless it is a delete marker. Its bytes reach the object store's key by an upload: from
     * the cache when it was not persisted yet, else copied from where the object store has it.
     */
    Optional<FileVersion> restoreNewest(NamespacePath path) {
        List<WcacheRecords.File> archived = archivedOf(path);
        if (archived.isEmpty() || archived.get(0).getDeleteMarker()) {
            return Optional.empty();
        }
        WcacheRecords.File a = archived.get(0);
        String p = path.toString();
        String from = a.getPath();
        WcacheRecords.Tombstone tomb = t.files.tombstone(p);
        WcacheRecords.PersistTask existingTask = t.tasks.task(p);
        long generation = FileRecords.nextGeneration(t.files.committedAt(p), tomb);
        WcacheRecords.File.Builder b = a.toBuilder().setPath(p).setGeneration(generation)
                .setPersistState(WcacheRecords.PersistState.NOT_PERSISTED);
        if (tomb != null) {
            b.addAllArchiveFirst(tomb.getArchiveFirstList());
            t.files.deleteTombstone(p);
        }
        if (a.getUfsSource().isEmpty() && a.getPersistState() == WcacheRecords.PersistState.PERSISTED) {
            // Its bytes are at its archive key in the object store (and maybe still cached, evictable).
            b.setUfsSource(NamespacePath.of(from).relativeToMount());
        }
        if (t.tasks.task(from) != null) {
            t.tasks.delete(from);
        }
        t.files.delete(from, a.getFileId());
        t.space.account(RecordMapping.file(a), -1);
        WcacheRecords.File restored = b.build();
        t.store.saveRecord(restored);
        t.space.account(RecordMapping.file(restored), +1);
        t.tasks.upsert(p, TaskKind.UPLOAD, restored.getFileId(), generation, restored.getSize(), existingTask);
        return Optional.of(RecordMapping.file(restored));
    }
}
