package io.wcache.logstore.space;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.LiveExtent;
import io.wcache.logstore.Location;
import io.wcache.logstore.Region;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact accounting of live payload bytes per region, per segment and in total, the set of
 * live locations of every segment, and the pinned cap with its outstanding reservations. All
 * state is guarded by this object's monitor; every operation is O(1) except snapshots of a
 * segment's live set. Locations moved by relocation are forwarded for a while, so a
 * {@link #release} or {@link #markPersisted} that raced the move reaches the new copy.
 */
public final class SpaceLedger {

    /** Retry hint given with a refused reservation: persistence frees pinned bytes within seconds. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    private static final int FORWARDING_CAPACITY = 1 << 16;

    private final long pinnedCap;
    private long pinnedLive;
    private long evictableLive;
    private long reserved;
    private final Map<Long, SegmentUsage> segments = new HashMap<>();
    private final Map<Location, Location> forwarding = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Location, Location> eldest) {
            return size() > FORWARDING_CAPACITY;
        }
    };

    /** Live payload bytes and live extents of one segment. */
    private static final class SegmentUsage {
        final Map<Long, LiveExtent> live = new HashMap<>();
        /** Positions of live extents appended but not yet recorded by the index (see {@link #addPending}). */
        final java.util.Set<Long> pending = new java.util.HashSet<>();
        long pinned;
        long evictable;
    }

    /** Pinned and evictable live payload bytes and the live extent count of one segment. */
    public record Usage(long pinnedBytes, long evictableBytes, int extents) {
        public long liveBytes() {
            return pinnedBytes + evictableBytes;
        }
    }

    /** What a pinned append took: from its reservation, and beyond it from the free pinned quota. */
    public record Consumed(PinnedReservation reservation, long taken, long extra) {
    }

    public SpaceLedger(long pinnedCap) {
        this.pinnedCap = pinnedCap;
    }

    /**
     * Reserves {@code bytes} of pinned space, or throws {@link WcacheException.OutOfSpace} when
     * live pinned bytes plus reservations would pass the cap; a refusal changes nothing.
     */
    public PinnedReservation reserve(long bytes) {
        if (bytes < 0) {
            throw new WcacheException.InvalidArgument("pinned", "cannot reserve a negative byte count: " + bytes);
        }
        reserveRaw(bytes);
        return new PinnedReservation(this, bytes);
    }

    private synchronized void reserveRaw(long bytes) {
        if (pinnedLive + reserved + bytes > pinnedCap) {
            throw new WcacheException.OutOfSpace("pinned",
                    "pinned space exhausted: live=" + pinnedLive + " reserved=" + reserved + " requested=" + bytes
                            + " cap=" + pinnedCap,
                    RETRY_AFTER);
        }
        reserved += bytes;
    }

    synchronized void unreserve(long bytes) {
        reserved -= bytes;
    }

    /**
     * Takes {@code bytes} for a pinned append from {@code r}, reserving any shortfall against the
     * cap (which may throw {@link WcacheException.OutOfSpace}, leaving {@code r} as it was).
     */
    public Consumed consume(PinnedReservation r, long bytes) {
        if (r.ledger() != this) {
            throw new WcacheException.InvalidArgument("pinned", "reservation belongs to another store");
        }
        long taken = r.take(bytes);
        long extra = bytes - taken;
        if (extra > 0) {
            try {
                reserveRaw(extra);
            } catch (WcacheException e) {
                r.giveBack(taken);
                throw e;
            }
        }
        return new Consumed(r, taken, extra);
    }

    /** Undoes a {@link #consume} whose append failed. */
    public void refund(Consumed c) {
        if (c.extra() > 0) {
            unreserve(c.extra());
        }
        c.reservation().giveBack(c.taken());
    }

    /** Registers a segment with no live extents (created, or found at start-up). */
    public synchronized void addSegment(long segmentId) {
        segments.putIfAbsent(segmentId, new SegmentUsage());
    }

    /** Forgets a segment being deleted; it must hold no live extents the index still needs. */
    public synchronized void removeSegment(long segmentId) {
        SegmentUsage u = segments.remove(segmentId);
        if (u != null) {
            pinnedLive -= u.pinned;
            evictableLive -= u.evictable;
        }
    }

    /**
     * Marks a freshly appended or restored location live. Pinned bytes appended by a writer come
     * out of the reservations ({@code fromReservation}); restored ones do not.
     */
    public synchronized void addLive(Location loc, Region region, boolean fromReservation) {
        SegmentUsage u = segments.computeIfAbsent(loc.segmentId(), id -> new SegmentUsage());
        LiveExtent previous = u.live.put(loc.position(), new LiveExtent(loc, region));
        if (previous != null) {
            subtract(u, previous);
        }
        add(u, loc, region);
        if (fromReservation && region == Region.PINNED) {
            reserved -= loc.length();
        }
    }

    /**
     * Marks a freshly appended location live and pending: its writer has not yet recorded it in the
     * index, so the reclaimer may neither move nor drop it (the index would learn of the old
     * location after the move). {@link #published} ends the window; a release ends it too.
     */
    public synchronized void addPending(Location loc, Region region, boolean fromReservation) {
        addLive(loc, region, fromReservation);
        segments.get(loc.segmentId()).pending.add(loc.position());
    }

    /** The index now records {@code loc}: the reclaimer may move it. False if it was not live and pending. */
    public synchronized boolean published(Location loc) {
        Location current = follow(loc);
        SegmentUsage u = segments.get(current.segmentId());
        return u != null && u.pending.remove(current.position());
    }

    /** Live extents of a segment that their writers have not yet recorded in the index. */
    public synchronized int pendingExtents(long segmentId) {
        SegmentUsage u = segments.get(segmentId);
        return u == null ? 0 : u.pending.size();
    }

    /** The extent is deleted or superseded: its bytes become dead. Returns false if it was not live. */
    public synchronized boolean release(Location loc) {
        Location current = follow(loc);
        SegmentUsage u = segments.get(current.segmentId());
        LiveExtent e = u == null ? null : u.live.get(current.position());
        if (e == null || e.location().length() != current.length()) {
            return false;
        }
        u.live.remove(current.position());
        u.pending.remove(current.position());
        subtract(u, e);
        return true;
    }

    /** Moves a live pinned extent to the evictable region. Returns false if it was not live and pinned. */
    public synchronized boolean markPersisted(Location loc) {
        Location current = follow(loc);
        SegmentUsage u = segments.get(current.segmentId());
        LiveExtent e = u == null ? null : u.live.get(current.position());
        if (e == null || e.region() != Region.PINNED || e.location().length() != current.length()) {
            return false;
        }
        subtract(u, e);
        u.live.put(current.position(), new LiveExtent(current, Region.EVICTABLE));
        add(u, current, Region.EVICTABLE);
        return true;
    }

    /** The region of a live location, or null when it is not live. */
    public synchronized Region regionOf(Location loc) {
        SegmentUsage u = segments.get(loc.segmentId());
        LiveExtent e = u == null ? null : u.live.get(loc.position());
        return e == null ? null : e.region();
    }

    /**
     * Completes a relocation: {@code to} takes over {@code from}'s region and {@code from} becomes
     * dead and forwarded. Returns the region, or null when {@code from} was released meanwhile
     * (then {@code to} stays dead).
     */
    public synchronized Region commitRelocation(Location from, Location to) {
        SegmentUsage u = segments.get(from.segmentId());
        LiveExtent e = u == null ? null : u.live.remove(from.position());
        if (e == null) {
            return null;
        }
        subtract(u, e);
        if (u.pending.remove(from.position())) {
            addPending(to, e.region(), false);
        } else {
            addLive(to, e.region(), false);
        }
        forwarding.put(from, to);
        return e.region();
    }

    /** Undoes {@link #commitRelocation} when the index could not be told about it. */
    public synchronized void revertRelocation(Location from, Location to) {
        forwarding.remove(from);
        SegmentUsage u = segments.get(to.segmentId());
        LiveExtent e = u == null ? null : u.live.remove(to.position());
        if (e != null) {
            subtract(u, e);
            addLive(from, e.region(), false);
        }
    }

    /** Drops a live evictable extent for eviction. Returns false if it is no longer live or became pinned. */
    public synchronized boolean drop(Location loc) {
        SegmentUsage u = segments.get(loc.segmentId());
        LiveExtent e = u == null ? null : u.live.get(loc.position());
        if (e == null || e.region() != Region.EVICTABLE) {
            return false;
        }
        u.live.remove(loc.position());
        u.pending.remove(loc.position());
        subtract(u, e);
        return true;
    }

    /** A snapshot of a segment's live extents, in position order. */
    public synchronized List<LiveExtent> liveExtents(long segmentId) {
        SegmentUsage u = segments.get(segmentId);
        if (u == null) {
            return List.of();
        }
        List<LiveExtent> out = new ArrayList<>(u.live.values());
        out.sort((a, b) -> Long.compare(a.location().position(), b.location().position()));
        return out;
    }

    public synchronized Usage usage(long segmentId) {
        SegmentUsage u = segments.get(segmentId);
        return u == null ? new Usage(0, 0, 0) : new Usage(u.pinned, u.evictable, u.live.size());
    }

    public synchronized long pinnedBytes() {
        return pinnedLive;
    }

    public synchronized long evictableBytes() {
        return evictableLive;
    }

    public synchronized long reservedBytes() {
        return reserved;
    }

    /** Pinned space taken: live pinned bytes plus reservations (what {@link #reserve} checks against the cap). */
    public synchronized long pinnedInUse() {
        return pinnedLive + reserved;
    }

    public long pinnedCap() {
        return pinnedCap;
    }

    private Location follow(Location loc) {
        Location current = loc;
        for (int hops = 0; hops < 64; hops++) {
            Location next = forwarding.get(current);
            if (next == null) {
                return current;
            }
            current = next;
        }
        return current;
    }

    private void add(SegmentUsage u, Location loc, Region region) {
        if (region == Region.PINNED) {
            u.pinned += loc.length();
            pinnedLive += loc.length();
        } else {
            u.evictable += loc.length();
            evictableLive += loc.length();
        }
    }

    private void subtract(SegmentUsage u, LiveExtent e) {
        if (e.region() == Region.PINNED) {
            u.pinned -= e.location().length();
            pinnedLive -= e.location().length();
        } else {
            u.evictable -= e.location().length();
            evictableLive -= e.location().length();
        }
    }
}
