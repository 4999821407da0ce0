package io.wcache.logstore.eviction;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.ExtentRelocator;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.Region;
import io.wcache.logstore.metrics.LogStoreCounters;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.segment.StoredRecord;
import io.wcache.logstore.space.SpaceLedger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees space by whole segments. A pass deletes sealed segments with no live extents, compacts
 * those whose live fraction is under the threshold (every live extent is copied forward), and,
 * while a directory is over its high watermark, evicts sealed segments least recently used first
 * down to the low watermark (clean extents are dropped, pinned ones copied forward). The order is
 * crash-safe: copies are fsynced, then the {@link ExtentRelocator} is told, then the old file is
 * deleted. Passes run one at a time, on the background thread (woken by appends past the high
 * watermark or every interval; it sleeps otherwise) or synchronously through {@link #reclaim()}.
 */
public final class SpaceReclaimer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpaceReclaimer.class);

    private final ReclaimableSpace space;
    private final ExtentRelocator relocator;
    private final LogStoreCounters counters;
    private final double highWatermark;
    private final double lowWatermark;
    private final double compactionThreshold;
    private final long intervalNanos;
    private final ReentrantLock passLock = new ReentrantLock();
    private final ReentrantLock wakeLock = new ReentrantLock();
    private final Condition wake = wakeLock.newCondition();
    private boolean wakeRequested;
    private volatile boolean stopped;
    private Thread thread;

    public SpaceReclaimer(ReclaimableSpace space, ExtentRelocator relocator, LogStoreCounters counters,
                          double highWatermark, double lowWatermark, double compactionThreshold, long intervalNanos) {
        this.space = space;
        this.relocator = relocator;
        this.counters = counters;
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
        this.compactionThreshold = compactionThreshold;
        this.intervalNanos = intervalNanos;
    }

    /** Starts the background thread (once). */
    public synchronized void start(String name) {
        if (thread != null || stopped) {
            return;
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks the background thread for a pass soon; cheap, callable from the append path. */
    public void wakeUp() {
        wakeLock.lock();
        try {
            wakeRequested = true;
            wake.signal();
        } finally {
            wakeLock.unlock();
        }
    }

    /** True when a directory's segment files take more than the high watermark of its capacity. */
    public boolean overHighWatermark(int dir) {
        return space.usedBytes(dir) > highWatermark * space.capacity(dir);
    }

    private void run() {
        while (!stopped) {
            wakeLock.lock();
            try {
                long left = intervalNanos;
                while (!wakeRequested && !stopped && left > 0) {
                    left = wake.awaitNanos(left);
                }
                wakeRequested = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                wakeLock.unlock();
            }
            if (stopped) {
                return;
            }
            try {
                reclaim();
            } catch (RuntimeException e) {
                LOG.warn("event=reclaim_failed error={}", e.toString(), e);
            }
        }
    }

    /** Runs one full pass now, on the calling thread. */
    public ReclaimResult reclaim() {
        passLock.lock();
        try {
            ReclaimResult total = ReclaimResult.NONE;
            for (int dir = 0; dir < space.dirCount(); dir++) {
                total = total.plus(compact(dir)).plus(evict(dir));
            }
            if (total.evictedSegments() + total.compactedSegments() > 0) {
                LOG.info("event=reclaim evicted={} compacted={} relocated={} dropped={} freed_bytes={}",
                        total.evictedSegments(), total.compactedSegments(), total.relocatedExtents(),
                        total.droppedExtents(), total.freedBytes());
            }
            return total;
        } finally {
            passLock.unlock();
        }
    }

    private ReclaimResult compact(int dir) {
        ReclaimResult result = ReclaimResult.NONE;
        SpaceLedger ledger = space.ledger();
        for (Segment s : space.sealedSegments(dir)) {
            SpaceLedger.Usage u = ledger.usage(s.id());
            double live = (double) u.liveBytes() / Math.max(1, s.size());
            if (u.extents() == 0 || live < compactionThreshold) {
                ReclaimResult r = evacuate(s, true);
                if (r != null) {
                    counters.compactions.increment();
                    result = result.plus(new ReclaimResult(0, 1, r.relocatedExtents(), r.droppedExtents(), r.freedBytes()));
                }
            }
        }
        return result;
    }

    private ReclaimResult evict(int dir) {
        ReclaimResult result = ReclaimResult.NONE;
        if (!overHighWatermark(dir)) {
            return result;
        }
        long target = (long) (lowWatermark * space.capacity(dir));
        List<Segment> victims = new ArrayList<>(space.sealedSegments(dir));
        victims.sort(Comparator.comparingLong(Segment::lastAccessNanos));
        for (Segment s : victims) {
            if (space.usedBytes(dir) <= target) {
                break;
            }
            ReclaimResult r = evacuate(s, false);
            if (r != null) {
                counters.evictions.increment();
                result = result.plus(new ReclaimResult(1, 0, r.relocatedExtents(), r.droppedExtents(), r.freedBytes()));
            }
        }
        return result;
    }

    private record Move(Location from, Location to) {
    }

    /**
     * Empties one segment and deletes it. Returns null when the segment has to stay: a writer has
     * not yet recorded one of its extents in the index, the index refused a drop or failed, or the
     * index still references bytes in it at delete time. Ledger changes the index was not told
     * about are undone first.
     */
    private ReclaimResult evacuate(Segment segment, boolean keepClean) {
        SpaceLedger ledger = space.ledger();
        if (ledger.pendingExtents(segment.id()) > 0 || segment.appendsInFlight() > 0) {
            // Moving such an extent would leave its writer recording the old location afterwards; and
            // a record written but not yet in the ledger is invisible here, so the segment would look
            // emptier than it is and go with the record in it.
            return null;
        }
        Evacuation plan = copyOut(segment, ledger.liveExtents(segment.id()), keepClean);
        if (!plan.copies().isEmpty()) {
            space.sync();
        }
        List<Move> committed = new ArrayList<>();
        for (Move m : plan.copies()) {
            if (ledger.commitRelocation(m.from(), m.to()) != null) {
                committed.add(m);
            }
        }
        List<Location> dropped = new ArrayList<>();
        for (Location d : plan.drops()) {
            if (ledger.drop(d)) {
                dropped.add(d);
            }
        }
        for (Location l : plan.lost()) {
            if (ledger.release(l)) {
                LOG.error("event=pinned_extent_lost location={} reason=crc_mismatch", l);
            }
        }
        int relocated = announceMoves(segment, committed, dropped);
        if (relocated < 0) {
            return null;
        }
        Drops drops = announceDrops(segment, dropped);
        if (drops == null) {
            return null;
        }
        announceLost(plan.lost());
        if (drops.refused() || ledger.usage(segment.id()).extents() > 0) {
            // Bytes the UFS does not hold yet, or an extent that became live after the snapshot
            // (a restore racing the pass): keep the file.
            return null;
        }
        if (!safeToDelete(segment)) {
            return null;
        }
        long freed = segment.size();
        space.delete(segment);
        counters.relocatedExtents.getAndAdd(relocated);
        counters.droppedExtents.getAndAdd(drops.count());
        return new ReclaimResult(0, 0, relocated, drops.count(), freed);
    }

    /** What leaving a segment takes: records copied elsewhere, clean extents to drop, pinned ones lost to corruption. */
    private record Evacuation(List<Move> copies, List<Location> drops, List<Location> lost) {
    }

    /**
     * Copies the segment's live records that must stay (pinned ones, and clean ones when
     * {@code keepClean}) into other segments, unsynced; the other clean ones are to be dropped.
     * A record failing its CRC is dropped when clean (the UFS holds it) and lost when pinned.
     */
    private Evacuation copyOut(Segment segment, List<LiveExtent> extents, boolean keepClean) {
        List<Move> copies = new ArrayList<>();
        List<Location> drops = new ArrayList<>();
        List<Location> lost = new ArrayList<>();
        for (LiveExtent e : extents) {
            Location from = e.location();
            if (e.region() == Region.EVICTABLE && !keepClean) {
                drops.add(from);
                continue;
            }
            try {
                StoredRecord record = space.readRecord(from);
                copies.add(new Move(from, space.appendCopy(segment.dir(), record)));
            } catch (WcacheException.Corruption c) {
                // Clean bytes are still in the UFS; pinned bytes that fail their CRC are gone.
                if (e.region() == Region.EVICTABLE) {
                    drops.add(from);
                } else {
                    lost.add(from);
                }
            }
        }
        return new Evacuation(copies, drops, lost);
    }

    /**
     * Tells the relocator of each committed move. A refusal or a failed callback undoes this move,
     * the ones after it and the drops, and answers -1; otherwise the number of extents the index
     * now finds at their new place (a move the index answers {@code UNREFERENCED} frees its copy).
     */
    private int announceMoves(Segment segment, List<Move> committed, List<Location> dropped) {
        SpaceLedger ledger = space.ledger();
        int relocated = 0;
        for (int i = 0; i < committed.size(); i++) {
            Move m = committed.get(i);
            ExtentRelocator.Outcome outcome;
            try {
                outcome = relocator.relocated(m.from(), m.to());
            } catch (RuntimeException ex) {
                outcome = null;
                LOG.warn("event=relocation_callback_failed segment={} location={} error={}", segment, m.from(), ex.toString());
            }
            if (outcome == null || outcome == ExtentRelocator.Outcome.REFUSED) {
                for (Move undo : committed.subList(i, committed.size())) {
                    ledger.revertRelocation(undo.from(), undo.to());
                }
                for (Location d : dropped) {
                    ledger.addLive(d, Region.EVICTABLE, false);
                }
                return -1;
            }
            if (outcome == ExtentRelocator.Outcome.UNREFERENCED) {
                // Dead to the index (superseded or deleted; a reader may still read the old copy
                // through its lease): the new copy is dead too.
                ledger.release(m.to());
            } else {
                relocated++;
            }
        }
        return relocated;
    }

    /** How the relocator took the drops: how many it accepted, and whether it refused any. */
    private record Drops(int count, boolean refused) {
    }

    /**
     * Tells the relocator of each drop; a refused one is live again. A failed callback makes this
     * drop and the ones after it live again and answers null.
     */
    private Drops announceDrops(Segment segment, List<Location> dropped) {
        SpaceLedger ledger = space.ledger();
        int count = 0;
        boolean refused = false;
        for (int i = 0; i < dropped.size(); i++) {
            Location d = dropped.get(i);
            ExtentRelocator.Outcome outcome;
            try {
                outcome = relocator.dropped(d);
            } catch (RuntimeException ex) {
                LOG.warn("event=drop_callback_failed segment={} location={} error={}", segment, d, ex.toString());
                for (Location undo : dropped.subList(i, dropped.size())) {
                    ledger.addLive(undo, Region.EVICTABLE, false);
                }
                return null;
            }
            if (outcome == ExtentRelocator.Outcome.REFUSED) {
                ledger.addLive(d, Region.EVICTABLE, false);
                refused = true;
            } else {
                count++;
            }
        }
        return new Drops(count, refused);
    }

    /** Tells the relocator of pinned extents whose bytes failed their CRC (their versions are damaged). */
    private void announceLost(List<Location> lost) {
        for (Location l : lost) {
            try {
                relocator.lost(l);
            } catch (RuntimeException ex) {
                LOG.warn("event=lost_callback_failed location={} error={}", l, ex.toString());
            }
        }
    }

    /**
     * The check at delete time: the index must reference nothing in the segment. A reference
     * there means the ledger and the index disagree; deleting would lose acknowledged bytes, so
     * the file stays, the disagreement is logged and counted, and the referenced locations become
     * live again (pinned, the safe region) so a later pass moves them through the index.
     */
    private boolean safeToDelete(Segment segment) {
        List<Location> referenced;
        try {
            referenced = relocator.referencedIn(segment.dir(), segment.id());
        } catch (RuntimeException ex) {
            LOG.warn("event=segment_delete_check_failed segment={} error={}", segment, ex.toString());
            return false;
        }
        if (referenced.isEmpty()) {
            return true;
        }
        counters.segmentDeletesRefused.increment();
        LOG.error("event=segment_delete_refused segment={} referenced_extents={} first={} reason=index_references_segment",
                segment, referenced.size(), referenced.get(0));
        for (Location l : referenced) {
            if (space.ledger().regionOf(l) == null) {
                space.ledger().addLive(l, Region.PINNED, false);
            }
        }
        return false;
    }

    @Override
    public void close() {
        stopped = true;
        wakeUp();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
