package io.wcache.worker.recovery;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.Chunk;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.Region;
import io.wcache.logstore.RestoreReport;
import io.wcache.schema.catalog.ExtentCodec;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileState;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListPage;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.PartInfo;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.space.ExtentRelease;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import io.wcache.schema.catalog.PendingSync;
import io.wcache.schema.catalog.RolledBack;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the log store with the Catalog at start-up, after the store's own recovery. Every
 * extent of this worker the Catalog references is declared live (pinned unless its version is
 * persisted); log records nothing references are dead and reclaimed by compaction. A committed
 * version some of whose bytes the store cannot give back (missing with a torn tail, or damaged)
 * and whose commit still has its undo (the pipeline commits beside the log sync, and keeps the
 * superseded version until the sync is confirmed) was not acknowledged: the path goes back to the
 * superseded version when that version's bytes all survived ({@link #settlePending}). Any other
 * such version was acknowledged, its records synced. It is never rolled back: a persisted one
 * loses its local extents (reads go to the UFS,
 * which holds it); any other is marked damaged in the Catalog (reads fail saying so,
 * {@code wcadm fs ls} shows {@code DAMAGED}) and kept until a client deletes or overwrites it, so
 * an older version is never served in its place. Recovery never deletes or overwrites anything in
 * the UFS: it writes no new tombstone, UFS delete or commit (a rollback puts back the tombstone and
 * task the rolled-back commit had replaced). Write sessions this worker owned
 * are aborted: their writers died with the process. Acknowledged parts of multipart uploads in
 * progress are kept, pinned like a committed unpersisted version when their upload's policy pins
 * data, evictable otherwise ({@code WRITE_THROUGH}, as when they were written); a part whose bytes did
 * not survive loses its record, so completion refuses it ({@code InvalidPart}) instead of
 * assembling a hole. Records of parts that were never acknowledged are unreferenced and reclaimed.
 */
public final class RestartRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(RestartRecovery.class);

    /**
     * What reconciliation found and did: {@code versionsDamaged} committed versions marked damaged
     * (not persisted), {@code extentsDroppedToUfs} local extents of persisted versions given up so
     * that reads go to the UFS, {@code unsyncedRolledBack} paths rolled back to the version that a
     * commit made before its log sync was confirmed had superseded (its bytes did not survive),
     * {@code unsyncedRewritten} versions acknowledged with a copy of their bodies whose records did
     * not survive and were written again from that copy.
     */
    public record Outcome(int liveExtents, int unreferencedExtentRecords, int sessionsAborted, int versionsDamaged,
                          int extentsDroppedToUfs, int unsyncedRolledBack, int unsyncedRewritten) {
    }

    private final Catalog catalog;
    private final LogStore store;
    private final String workerId;
    /** Committed versions and open write sessions, by file id. */
    private final Map<Long, FileVersion> files = new HashMap<>();
    /** Write sessions open at the stop, this worker's and others'. */
    private final List<FileVersion> sessions;
    /** Parts of multipart uploads in progress, by file id: their file ids are known only to their Part records. */
    private final Map<Long, PartInfo> parts = new HashMap<>();
    /** Whether each upload's parts are pinned, by upload id. */
    private final Map<String, Boolean> uploadPins = new HashMap<>();
    /** This worker's replica copies of other workers' unpersisted versions, by copy file id. */
    private final Map<Long, io.wcache.schema.catalog.ReplicaCopies.Held> copies = new HashMap<>();
    /** This worker's referenced extents, by log-store location. */
    private final Map<Location, Extent> byLocation = new HashMap<>();
    /**
     * Commits whose log sync was not confirmed before the stop (the pipeline overlaps the two),
     * newest first: each keeps the version it superseded, for a rollback if its bytes did not survive.
     */
    private final List<PendingSync> pending;
    /** Locations of the superseded versions' extents declared live for a possible rollback. */
    private final Map<Location, Extent> undoLocations = new HashMap<>();
    /** Versions whose lost records were written again from their commits' copies. */
    private int rewritten;

    private RestartRecovery(Catalog catalog, LogStore store, String workerId) {
        this.catalog = catalog;
        this.store = store;
        this.workerId = workerId;
        ListRequest req = ListRequest.of("", "", ListRequest.MAX_LIMIT);
        while (true) {
            ListPage page = catalog.files().list(req);
            for (FileVersion f : page.files()) {
                files.put(f.fileId(), f);
            }
            if (page.continuation().isEmpty()) {
                break;
            }
            req = req.withContinuation(page.continuation().get());
        }
        this.sessions = catalog.files().sessionsCreatedBefore(Instant.now().plus(3650, ChronoUnit.DAYS), Integer.MAX_VALUE);
        for (FileVersion s : sessions) {
            files.put(s.fileId(), s);
        }
        for (PartInfo p : catalog.multipart().allParts(Integer.MAX_VALUE)) {
            parts.put(p.fileId(), p);
        }
        this.pending = new ArrayList<>(catalog.files().pendingSyncs());
        this.pending.sort(Comparator.comparingLong(PendingSync::generation).reversed());
        for (var h : catalog.replicas().heldBy(workerId)) {
            copies.put(h.copyFileId(), h);
        }
    }

    public static Outcome run(Catalog catalog, LogStore store, String workerId) {
        RestartRecovery r = new RestartRecovery(catalog, store, workerId);
        List<LiveExtent> live = new ArrayList<>();
        int unreferenced = r.referencedExtents(live);
        r.undoExtents(live);
        RestoreReport report = store.restore(live);
        Map<Long, String> lostFiles = r.lostFiles(report);
        int rolledBack = r.settlePending(report, lostFiles);
        Lost lost = r.settleLost(lostFiles);
        int aborted = r.abortOwnSessions();
        Outcome o = new Outcome(report.restored(), unreferenced, aborted, lost.versionsDamaged(), lost.extentsDropped(),
                rolledBack, r.rewritten);
        LOG.info("event=restart_reconciled live_extents={} missing={} damaged_records={} unreferenced_extent_records={} "
                        + "sessions_aborted={} versions_damaged={} extents_dropped_to_ufs={} parts_kept={} parts_lost={} "
                        + "unsynced_commits={} unsynced_rolled_back={} unsynced_rewritten={}",
                o.liveExtents(), report.missing().size(), report.damaged().size(), o.unreferencedExtentRecords(),
                o.sessionsAborted(), o.versionsDamaged(), o.extentsDroppedToUfs(), r.parts.size() - lost.partsLost(),
                lost.partsLost(), r.pending.size(), rolledBack, r.rewritten);
        return o;
    }

    /**
     * Declares each of this worker's extents that a version, session or part references live in
     * {@code live} (pinned unless its version is persisted or its part evictable) and forgets
     * the extent records nothing references; returns how many were forgotten.
     */
    private int referencedExtents(List<LiveExtent> live) {
        int unreferenced = 0;
        for (Extent e : catalog.locations().allExtents(Integer.MAX_VALUE)) {
            if (!e.worker().equals(workerId)) {
                continue;
            }
            FileVersion v = files.get(e.fileId());
            if (v == null && !parts.containsKey(e.fileId()) && !copies.containsKey(e.fileId())) {
                // Not restored, so there is nothing to release in the log store.
                catalog.locations().replaceExtent(e, null);
                unreferenced++;
                continue;
            }
            Location loc = ExtentCodec.toLocation(e);
            boolean clean = copies.containsKey(e.fileId()) ? false
                    : v == null ? !partPinned(parts.get(e.fileId()))
                    : v.state() == FileState.COMMITTED && v.persistState() == PersistState.PERSISTED;
            live.add(new LiveExtent(loc, clean ? Region.EVICTABLE : Region.PINNED));
            byLocation.put(loc, e);
        }
        return unreferenced;
    }

    /**
     * Declares live, for a possible rollback, the extents of the versions that commits whose sync was
     * not confirmed superseded, when that commit's version is still its path's (otherwise the undo
     * is only dropped). A superseded version's bytes may be gone already (released once the commit
     * was acknowledged): the store then reports them missing, and no rollback is possible.
     */
    private void undoExtents(List<LiveExtent> live) {
        for (PendingSync p : pending) {
            if (!isCurrent(p)) {
                continue;
            }
            boolean clean = p.superseded().map(v -> v.persistState() == PersistState.PERSISTED).orElse(false);
            for (Extent e : p.supersededExtents()) {
                Location loc = ExtentCodec.toLocation(e);
                if (e.worker().equals(workerId) && !byLocation.containsKey(loc) && !undoLocations.containsKey(loc)) {
                    live.add(new LiveExtent(loc, clean ? Region.EVICTABLE : Region.PINNED));
                    undoLocations.put(loc, e);
                }
            }
        }
    }

    private boolean isCurrent(PendingSync p) {
        FileVersion v = files.get(p.fileId());
        return v != null && v.state() == FileState.COMMITTED && v.path().toString().equals(p.path());
    }

    /**
     * Settles every commit whose log sync was not confirmed, newest first per path: when its version
     * is still the path's and some of its bytes did not survive (the sync never happened) while all
     * of the superseded version's did, the path goes back to the superseded version (its bytes,
     * persist task and tombstone, as before the commit); that version was never acknowledged, so
     * nothing acknowledged is lost, and the previous version is not lost either. Otherwise the undo
     * is dropped: a version whose bytes all survived stays, and one whose superseded bytes are gone
     * too is settled like any other lost version ({@link #settleLost}). Returns how many were rolled back.
     */
    private int settlePending(RestoreReport report, Map<Long, String> lost) {
        java.util.Set<Location> gone = new java.util.HashSet<>(report.missing());
        gone.addAll(report.damaged());
        int rolledBack = 0;
        for (PendingSync p : pending) {
            boolean current = isCurrent(p);
            if (current && !files.get(p.fileId()).ownerWorker().equals(workerId)) {
                // Another worker's write (a shared Catalog): its records are in that worker's log,
                // and that worker's restart settles its undo (and its copy) against them.
                continue;
            }
            if (current && lost.containsKey(p.fileId()) && p.copy().isPresent()) {
                // Acknowledged with its body in the Catalog: its records are written again, never
                // rolled back; a copy that does not match leaves it to settleLost (DAMAGED).
                if (rewriteFromCopy(p, gone)) {
                    lost.remove(p.fileId());
                    rewritten++;
                }
                catalog.files().confirmSynced(List.of(p.fileId()));
                continue;
            }
            boolean undoWhole = p.supersededExtents().stream()
                    .allMatch(e -> e.worker().equals(workerId) && !gone.contains(ExtentCodec.toLocation(e)));
            // A persisted version is in the UFS already: settleLost serves it from there.
            if (current && lost.containsKey(p.fileId()) && undoWhole
                    && files.get(p.fileId()).persistState() != PersistState.PERSISTED) {
                Optional<RolledBack> r = catalog.files().rollBackUnsynced(p.fileId());
                if (r.isPresent()) {
                    String why = lost.remove(p.fileId());
                    List<Extent> survived = r.get().droppedExtents().stream()
                            .filter(e -> e.worker().equals(workerId) && !gone.contains(ExtentCodec.toLocation(e)))
                            .toList();
                    ExtentRelease.release(store, survived);
                    for (Extent e : r.get().restoredExtents()) {
                        Location loc = ExtentCodec.toLocation(e);
                        if (undoLocations.remove(loc) != null) {
                            byLocation.put(loc, e);
                        }
                    }
                    files.remove(p.fileId());
                    r.get().restored().ifPresent(v -> files.put(v.fileId(), v));
                    rolledBack++;
                    LOG.warn("event=unsynced_commit_rolled_back path={} file={} generation={} restored_file={} "
                                    + "reason=\"{}\"", p.path(), p.fileId(), p.generation(),
                            r.get().restored().map(FileVersion::fileId).orElse(0L), why);
                    continue;
                }
            }
            catalog.files().confirmSynced(List.of(p.fileId()));
        }
        // Superseded extents kept live for a rollback that did not happen: nothing references them.
        List<Extent> unused = new ArrayList<>();
        for (Map.Entry<Location, Extent> e : undoLocations.entrySet()) {
            if (!gone.contains(e.getKey())) {
                unused.add(e.getValue());
            }
        }
        ExtentRelease.release(store, unused);
        undoLocations.clear();
        return rolledBack;
    }

    /**
     * Writes the records of {@code p}'s version that did not survive again from the copy of its body
     * its commit carried, syncs them and points its extents at them. False (nothing changed) when
     * the copy does not match the version (its size or an extent's CRC32C).
     */
    private boolean rewriteFromCopy(PendingSync p, java.util.Set<Location> gone) {
        byte[] body = p.copy().get();
        FileVersion v = files.get(p.fileId());
        List<Extent> lostExtents = catalog.files().extents(p.fileId()).stream()
                .filter(e -> e.worker().equals(workerId) && gone.contains(ExtentCodec.toLocation(e))).toList();
        if (body.length != v.size() || lostExtents.isEmpty()) {
            LOG.warn("event=unsynced_copy_unusable path={} file={} copy_bytes={} size={} lost_extents={}", p.path(),
                    p.fileId(), body.length, v.size(), lostExtents.size());
            return false;
        }
        List<ByteBuffer> bodies = new ArrayList<>();
        long[] crcs = new long[lostExtents.size()];
        for (Extent e : lostExtents) {
            if (e.offset() < 0 || e.offset() + e.length() > body.length) {
                LOG.warn("event=unsynced_copy_unusable path={} file={} extent_offset={} extent_length={} copy_bytes={}",
                        p.path(), p.fileId(), e.offset(), e.length(), body.length);
                return false;
            }
            ByteBuffer bytes = ByteBuffer.wrap(body, (int) e.offset(), (int) e.length());
            CRC32C crc = new CRC32C();
            crc.update(bytes.duplicate());
            if (e.crc32c() != Chunk.CRC_UNKNOWN && crc.getValue() != e.crc32c()) {
                LOG.warn("event=unsynced_copy_unusable path={} file={} extent_offset={} reason=crc32c_mismatch",
                        p.path(), p.fileId(), e.offset());
                return false;
            }
            crcs[bodies.size()] = crc.getValue();
            bodies.add(bytes);
        }
        // Checked whole before any space is taken. Pinned like the version's other records until it is persisted.
        boolean pinned = v.persistState() != PersistState.PERSISTED;
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < lostExtents.size(); i++) {
            ByteBuffer b = bodies.get(i);
            chunks.add(new Chunk(p.fileId(), lostExtents.get(i).offset(), new ByteBuffer[] {b},
                    pinned ? store.reservePinned(b.remaining()) : null, crcs[i]));
        }
        List<Location> written = store.append(chunks);
        store.sync();
        List<Location> recorded = new ArrayList<>();
        for (int i = 0; i < lostExtents.size(); i++) {
            Extent old = lostExtents.get(i);
            Extent now = ExtentCodec.moved(old, written.get(i));
            if (catalog.locations().replaceExtent(old, now)) {
                byLocation.put(written.get(i), now);
                recorded.add(written.get(i));
            } else {
                store.release(written.get(i));
            }
        }
        store.published(recorded);
        LOG.warn("event=unsynced_commit_rewritten_from_copy path={} file={} generation={} extents={}", p.path(),
                p.fileId(), p.generation(), lostExtents.size());
        return true;
    }

    /** Files some of whose records the store could not restore (missing or damaged), with why. */
    private Map<Long, String> lostFiles(RestoreReport report) {
        Map<Long, String> lost = new HashMap<>();
        for (Location missing : report.missing()) {
            Extent e = byLocation.remove(missing);
            if (e != null) {
                lost.putIfAbsent(e.fileId(), "record missing at restart (cut with the log tail): offset " + e.offset()
                        + " at " + missing);
            }
        }
        for (Location bad : report.damaged()) {
            Extent e = byLocation.remove(bad);
            if (e != null) {
                lost.putIfAbsent(e.fileId(), "record failed its CRC32C or framing check at restart (or its segment is"
                        + " gone): offset " + e.offset() + " at " + bad);
            }
        }
        return lost;
    }

    /** What {@link #settleLost} did. */
    private record Lost(int versionsDamaged, int extentsDropped, int partsLost) {
    }

    /**
     * Settles each file whose bytes did not all survive: a part is forgotten (a completion naming
     * it is refused), a persisted version reads from the UFS from now on, any other committed
     * version is marked damaged; sessions are left to {@link #abortOwnSessions}.
     */
    private Lost settleLost(Map<Long, String> lost) {
        int markedDamaged = 0;
        int dropped = 0;
        int partsLost = 0;
        for (Map.Entry<Long, String> d : lost.entrySet()) {
            long fileId = d.getKey();
            PartInfo part = parts.get(fileId);
            if (part != null) {
                ExtentRelease.release(store, catalog.multipart().dropPart(part.uploadId(), part.partNumber(), fileId));
                partsLost++;
                LOG.warn("event=part_dropped upload={} part={} file={} reason=\"{}\"", part.uploadId(),
                        part.partNumber(), fileId, d.getValue());
                continue;
            }
            if (copies.containsKey(fileId)) {
                // A replica copy: the version's own bytes are on its holder; this copy can no longer stand in.
                ExtentRelease.forget(catalog, store, catalog.files().extents(fileId));
                LOG.warn("event=replica_copy_dropped path={} copy={} reason=\"{}\"", copies.get(fileId).version().path(),
                        fileId, d.getValue());
                continue;
            }
            FileVersion v = files.get(fileId);
            if (v.state() == FileState.WRITING) {
                continue; // aborted with the other sessions
            }
            if (v.persistState() == PersistState.PERSISTED) {
                dropped += ExtentRelease.forget(catalog, store, catalog.files().extents(fileId));
                LOG.warn("event=damaged_version_served_from_ufs path={} file={} generation={} damage=\"{}\"", v.path(),
                        fileId, v.generation(), d.getValue());
                continue;
            }
            // Acknowledged and not in the UFS: keep the version, say it is damaged. Its extent
            // records go (their bytes are unusable); the path keeps this version, so an older one
            // in the UFS is never served in its place, and no UFS delete is queued.
            Optional<List<Extent>> removed = catalog.files().markDamaged(v.ref(), d.getValue());
            if (removed.isEmpty()) {
                // Persisted or superseded meanwhile (another worker's persister): its bytes are elsewhere.
                dropped += ExtentRelease.forget(catalog, store, catalog.files().extents(fileId));
                continue;
            }
            ExtentRelease.release(store, removed.get());
            markedDamaged++;
            LOG.error("event=version_damaged path={} file={} generation={} persist_state={} damage=\"{}\" "
                    + "action=\"reads fail until the object is deleted or overwritten\"", v.path(), fileId,
                    v.generation(), v.persistState(), d.getValue());
        }
        return new Lost(markedDamaged, dropped, partsLost);
    }

    /** Aborts the write sessions this worker owned (their writers died with it); returns how many. */
    private int abortOwnSessions() {
        int aborted = 0;
        for (FileVersion s : sessions) {
            if (!s.ownerWorker().equals(workerId)) {
                continue;
            }
            try {
                AbortResult r = catalog.files().abort(s.ref());
                ExtentRelease.release(store, r.extents());
                aborted++;
            } catch (WcacheException.NotFound | WcacheException.Conflict e) {
                // gone meanwhile
            }
        }
        return aborted;
    }

    /**
     * Whether a part's records are pinned: as when it was written, by the policy its upload
     * resolved at creation (a {@code WRITE_THROUGH} part is evictable, its completion uploads it
     * synchronously and unpins nothing). An upload that cannot be found keeps its parts pinned.
     */
    private boolean partPinned(PartInfo part) {
        return uploadPins.computeIfAbsent(part.uploadId(),
                id -> catalog.multipart().upload(id).map(u -> u.policy().pinsData()).orElse(true));
    }
}
