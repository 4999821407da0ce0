package io.wcache.worker.recovery;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.LogStore;
import io.wcache.logstore.Region;
import io.wcache.logstore.RestoreReport;
import io.wcache.pipeline.ExtentCodec;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileState;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.ListPage;
import io.wcache.schema.catalog.ListRequest;
import io.wcache.schema.catalog.PartInfo;
import io.wcache.schema.catalog.PersistState;
import io.wcache.worker.space.ExtentDirectory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the log store with the Catalog at start-up, after the store's own tail check. Every
 * extent of this worker the Catalog references is declared live (pinned unless its version is
 * persisted); log records nothing references are dead and reclaimed by compaction. A committed
 * version whose bytes did not survive is rolled back: an unpersisted one is removed (by the
 * ordering rule it was never acknowledged), a persisted one loses its local extents (reads go to
 * the UFS). Write sessions this worker owned are aborted: their writers died with the process.
 * Acknowledged parts of multipart uploads in progress are kept, pinned, exactly like a committed
 * unpersisted version; a part whose bytes did not survive loses its record, so completion refuses
 * it ({@code InvalidPart}) instead of assembling a hole. Records of parts that were never
 * acknowledged are unreferenced and reclaimed.
 */
public final class RestartRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(RestartRecovery.class);

    /** What reconciliation found and did. */
    public record Outcome(int liveExtents, int unreferencedExtentRecords, int sessionsAborted, int commitsRolledBack,
                          int extentsDroppedToUfs) {
    }

    private RestartRecovery() {
    }

    public static Outcome run(Catalog catalog, LogStore store, ExtentDirectory directory, String workerId) {
        Map<Long, FileVersion> files = new HashMap<>();
        ListRequest req = ListRequest.of("", "", ListRequest.MAX_LIMIT);
        while (true) {
            ListPage page = catalog.list(req);
            for (FileVersion f : page.files()) {
                files.put(f.fileId(), f);
            }
            if (page.continuation().isEmpty()) {
                break;
            }
            req = req.withContinuation(page.continuation().get());
        }
        List<FileVersion> sessions = catalog.sessionsCreatedBefore(Instant.now().plus(3650, ChronoUnit.DAYS), Integer.MAX_VALUE);
        for (FileVersion s : sessions) {
            files.put(s.fileId(), s);
        }
        // Parts are not files of the namespace: their file ids are known only to their Part records.
        Map<Long, PartInfo> parts = new HashMap<>();
        for (PartInfo p : catalog.allParts(Integer.MAX_VALUE)) {
            parts.put(p.fileId(), p);
        }
        List<LiveExtent> live = new ArrayList<>();
        Map<Location, Extent> byLocation = new HashMap<>();
        int unreferenced = 0;
        for (Extent e : catalog.allExtents(Integer.MAX_VALUE)) {
            if (!e.worker().equals(workerId)) {
                continue;
            }
            FileVersion v = files.get(e.fileId());
            if (v == null && !parts.containsKey(e.fileId())) {
                catalog.replaceExtent(e, null);
                unreferenced++;
                continue;
            }
            Location loc = ExtentCodec.toLocation(e);
            boolean clean = v != null && v.state() == FileState.COMMITTED && v.persistState() == PersistState.PERSISTED;
            live.add(new LiveExtent(loc, clean ? Region.EVICTABLE : Region.PINNED));
            byLocation.put(loc, e);
        }
        RestoreReport report = store.restore(live);
        Set<Long> damaged = new HashSet<>();
        for (Location missing : report.missing()) {
            Extent e = byLocation.remove(missing);
            if (e != null) {
                damaged.add(e.fileId());
            }
        }
        byLocation.forEach(directory::put);
        int rolledBack = 0;
        int dropped = 0;
        int partsLost = 0;
        for (long fileId : damaged) {
            PartInfo part = parts.get(fileId);
            if (part != null) {
                // The part's bytes are gone: forget the part, so a completion naming it is refused.
                for (Extent e : catalog.dropPart(part.uploadId(), part.partNumber(), fileId)) {
                    Location loc = ExtentCodec.toLocation(e);
                    directory.remove(loc);
                    store.release(loc);
                }
                partsLost++;
                LOG.warn("event=part_dropped upload={} part={} file={} reason=data_missing_after_restart",
                        part.uploadId(), part.partNumber(), fileId);
                continue;
            }
            FileVersion v = files.get(fileId);
            if (v.state() == FileState.WRITING) {
                continue; // aborted below with the other sessions
            }
            if (v.persistState() == PersistState.PERSISTED) {
                for (Extent e : catalog.extents(fileId)) {
                    Location loc = ExtentCodec.toLocation(e);
                    catalog.replaceExtent(e, null);
                    directory.remove(loc);
                    store.release(loc);
                    dropped++;
                }
                continue;
            }
            Optional<FileVersion> current = catalog.lookup(v.path());
            if (current.isPresent() && current.get().fileId() == fileId) {
                DeleteResult d = catalog.delete(v.path());
                for (Extent e : d.extents()) {
                    Location loc = ExtentCodec.toLocation(e);
                    directory.remove(loc);
                    store.release(loc);
                }
                rolledBack++;
                LOG.warn("event=commit_rolled_back path={} file={} reason=data_missing_after_restart", v.path(), fileId);
            }
        }
        int aborted = 0;
        for (FileVersion s : sessions) {
            if (!s.ownerWorker().equals(workerId)) {
                continue;
            }
            try {
                AbortResult r = catalog.abort(s.ref());
                for (Extent e : r.extents()) {
                    Location loc = ExtentCodec.toLocation(e);
                    directory.remove(loc);
                    store.release(loc);
                }
                aborted++;
            } catch (WcacheException.NotFound | WcacheException.Conflict e) {
                // gone meanwhile
            }
        }
        Outcome o = new Outcome(report.restored(), unreferenced, aborted, rolledBack, dropped);
        LOG.info("event=restart_reconciled live_extents={} missing={} unreferenced_extent_records={} sessions_aborted={} "
                        + "commits_rolled_back={} extents_dropped_to_ufs={} parts_kept={} parts_lost={}", o.liveExtents(),
                report.missing().size(), o.unreferencedExtentRecords(), o.sessionsAborted(), o.commitsRolledBack(),
                o.extentsDroppedToUfs(), parts.size() - partsLost, partsLost);
        return o;
    }
}
