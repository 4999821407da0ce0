package io.wcache.worker.recovery;

import io.wcache.core.error.WcacheException;
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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the log store with the Catalog at start-up, after the store's own recovery. Every
 * extent of this worker the Catalog references is declared live (pinned unless its version is
 * persisted); log records nothing references are dead and reclaimed by compaction. A committed
 * version some of whose bytes the store cannot give back (missing with a torn tail, or damaged)
 * was acknowledged: the write pipeline commits only after the log sync, so its records were
 * synced. It is never rolled back: a persisted one loses its local extents (reads go to the UFS,
 * which holds it); any other is marked damaged in the Catalog (reads fail saying so,
 * {@code wcadm fs ls} shows {@code DAMAGED}) and kept until a client deletes or overwrites it, so
 * an older version is never served in its place. Recovery never deletes or overwrites anything in
 * the UFS: it writes no tombstone, no UFS delete and no commit. Write sessions this worker owned
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
     * that reads go to the UFS.
     */
    public record Outcome(int liveExtents, int unreferencedExtentRecords, int sessionsAborted, int versionsDamaged,
                          int extentsDroppedToUfs) {
    }

    private RestartRecovery() {
    }

    public static Outcome run(Catalog catalog, LogStore store, String workerId) {
        Map<Long, FileVersion> files = new HashMap<>();
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
        List<FileVersion> sessions = catalog.files().sessionsCreatedBefore(Instant.now().plus(3650, ChronoUnit.DAYS), Integer.MAX_VALUE);
        for (FileVersion s : sessions) {
            files.put(s.fileId(), s);
        }
        // Parts are not files of the namespace: their file ids are known only to their Part records.
        Map<Long, PartInfo> parts = new HashMap<>();
        for (PartInfo p : catalog.multipart().allParts(Integer.MAX_VALUE)) {
            parts.put(p.fileId(), p);
        }
        Map<String, Boolean> uploadPins = new HashMap<>();
        List<LiveExtent> live = new ArrayList<>();
        Map<Location, Extent> byLocation = new HashMap<>();
        int unreferenced = 0;
        for (Extent e : catalog.locations().allExtents(Integer.MAX_VALUE)) {
            if (!e.worker().equals(workerId)) {
                continue;
            }
            FileVersion v = files.get(e.fileId());
            if (v == null && !parts.containsKey(e.fileId())) {
                catalog.locations().replaceExtent(e, null);
                unreferenced++;
                continue;
            }
            Location loc = ExtentCodec.toLocation(e);
            boolean clean = v == null
                    ? !partPinned(catalog, parts.get(e.fileId()), uploadPins)
                    : v.state() == FileState.COMMITTED && v.persistState() == PersistState.PERSISTED;
            live.add(new LiveExtent(loc, clean ? Region.EVICTABLE : Region.PINNED));
            byLocation.put(loc, e);
        }
        RestoreReport report = store.restore(live);
        Map<Long, String> damaged = new HashMap<>();
        for (Location missing : report.missing()) {
            Extent e = byLocation.remove(missing);
            if (e != null) {
                damaged.putIfAbsent(e.fileId(), "record missing at restart (cut with the log tail): offset " + e.offset()
                        + " at " + missing);
            }
        }
        for (Location bad : report.damaged()) {
            Extent e = byLocation.remove(bad);
            if (e != null) {
                damaged.putIfAbsent(e.fileId(), "record failed its CRC32C or framing check at restart (or its segment is gone): offset " + e.offset() + " at " + bad);
            }
        }
        int markedDamaged = 0;
        int dropped = 0;
        int partsLost = 0;
        for (Map.Entry<Long, String> d : damaged.entrySet()) {
            long fileId = d.getKey();
            PartInfo part = parts.get(fileId);
            if (part != null) {
                // The part's bytes are gone: forget the part, so a completion naming it is refused.
                for (Extent e : catalog.multipart().dropPart(part.uploadId(), part.partNumber(), fileId)) {
                    store.release(ExtentCodec.toLocation(e));
                }
                partsLost++;
                LOG.warn("event=part_dropped upload={} part={} file={} reason=\"{}\"", part.uploadId(),
                        part.partNumber(), fileId, d.getValue());
                continue;
            }
            FileVersion v = files.get(fileId);
            if (v.state() == FileState.WRITING) {
                continue; // aborted below with the other sessions
            }
            if (v.persistState() == PersistState.PERSISTED) {
                dropped += dropLocalExtents(catalog, store, fileId);
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
                dropped += dropLocalExtents(catalog, store, fileId);
                continue;
            }
            for (Extent e : removed.get()) {
                store.release(ExtentCodec.toLocation(e));
            }
            markedDamaged++;
            LOG.error("event=version_damaged path={} file={} generation={} persist_state={} damage=\"{}\" "
                    + "action=\"reads fail until the object is deleted or overwritten\"", v.path(), fileId,
                    v.generation(), v.persistState(), d.getValue());
        }
        int aborted = 0;
        for (FileVersion s : sessions) {
            if (!s.ownerWorker().equals(workerId)) {
                continue;
            }
            try {
                AbortResult r = catalog.files().abort(s.ref());
                for (Extent e : r.extents()) {
                    Location loc = ExtentCodec.toLocation(e);
                    store.release(loc);
                }
                aborted++;
            } catch (WcacheException.NotFound | WcacheException.Conflict e) {
                // gone meanwhile
            }
        }
        Outcome o = new Outcome(report.restored(), unreferenced, aborted, markedDamaged, dropped);
        LOG.info("event=restart_reconciled live_extents={} missing={} damaged_records={} unreferenced_extent_records={} "
                        + "sessions_aborted={} versions_damaged={} extents_dropped_to_ufs={} parts_kept={} parts_lost={}",
                o.liveExtents(), report.missing().size(), report.damaged().size(), o.unreferencedExtentRecords(),
                o.sessionsAborted(), o.versionsDamaged(), o.extentsDroppedToUfs(), parts.size() - partsLost, partsLost);
        return o;
    }

    /**
     * Whether a part's records are pinned: as when it was written, by the policy its upload
     * resolved at creation (a {@code WRITE_THROUGH} part is evictable, its completion uploads it
     * synchronously and unpins nothing). An upload that cannot be found keeps its parts pinned.
     */
    private static boolean partPinned(Catalog catalog, PartInfo part, Map<String, Boolean> uploadPins) {
        return uploadPins.computeIfAbsent(part.uploadId(),
                id -> catalog.multipart().upload(id).map(u -> u.policy().pinsData()).orElse(true));
    }

    /** Removes this file's extent records (its bytes are read from the UFS from now on); returns how many. */
    private static int dropLocalExtents(Catalog catalog, LogStore store, long fileId) {
        int n = 0;
        for (Extent e : catalog.files().extents(fileId)) {
            Location loc = ExtentCodec.toLocation(e);
            catalog.locations().replaceExtent(e, null);
            store.release(loc);
            n++;
        }
        return n;
    }
}
