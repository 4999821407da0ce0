package io.wcache.logstore;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.eviction.ReclaimResult;
import io.wcache.logstore.eviction.ReclaimableSpace;
import io.wcache.logstore.eviction.SpaceReclaimer;
import io.wcache.logstore.metrics.LogStoreCounters;
import io.wcache.logstore.recovery.RecoveryReport;
import io.wcache.logstore.recovery.RecoveryReport.Outcome;
import io.wcache.logstore.recovery.RecoveryReport.SegmentOutcome;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.segment.SegmentFormat;
import io.wcache.logstore.segment.SegmentScanner;
import io.wcache.logstore.segment.StoredRecord;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.logstore.space.SpaceLedger;
import io.wcache.logstore.sync.GroupCommit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's log store: append-only segment files in one or more cache directories, with
 * group-committed fdatasync, CRC-verified positional reads, recovery on open, pinned/evictable
 * space accounting, and eviction and compaction by segment. The Catalog is the index: appends
 * return {@link Location}s, reads take them, and after a restart {@link #restore} tells the store
 * which locations are still live. All methods are thread-safe.
 *
 * <p>Lifecycle: {@link #open} recovers every segment (see {@link #recoveryReport()}), then the
 * worker calls {@link #restore} once with the live extents it knows; only then does reclaiming
 * start, since until then every byte looks dead.
 */
public final class LogStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LogStore.class);
    private static final String LOCK_FILE = ".lock";
    private static final String SEGMENT_SUFFIX = ".seg";
    private static final int SCRATCH = 256 << 10;
    private static final ThreadLocal<ByteBuffer> READ_SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SCRATCH));

    private final LogStoreConfig config;
    private final SpaceLedger ledger;
    private final LogStoreCounters counters = new LogStoreCounters();
    private final Dir[] dirs;
    private final ConcurrentHashMap<Long, Segment> segments = new ConcurrentHashMap<>();
    private final Set<Segment> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextSegmentId = new AtomicLong(1);
    /** Appends completed (written to the file) so far; a sync covers every append counted before it. */
    private final AtomicLong appendSeq = new AtomicLong();
    private final ExecutorService forceExecutor;
    private final GroupCommit groupCommit;
    private final SpaceReclaimer reclaimer;
    private final RecoveryReport recoveryReport;
    /** Damaged ranges recovery skipped, per segment id; restore verifies locations that touch one. */
    private final Map<Long, List<SegmentScanner.DamagedRange>> damagedRanges = new ConcurrentHashMap<>();
    /**
     * Where the kept records end in each segment recovery scanned (those that did not end in a seal:
     * the ones being appended to when the store last stopped). A location at or past it was cut as
     * (or lost with) a torn tail.
     */
    private final Map<Long, Long> scannedEnds = new ConcurrentHashMap<>();
    private volatile boolean restored;
    private volatile boolean closed;

    /** One cache directory: its active segment, guarded by {@code appendLock}, and its usage. */
    private static final class Dir {
        final int index;
        final Path path;
        final long capacity;
        final ReentrantLock appendLock = new ReentrantLock();
        final AtomicLong used = new AtomicLong();
        final FileChannel lockChannel;
        final FileLock fileLock;
        volatile boolean needsDirSync;
        // guarded by appendLock
        Segment active;
        ByteBuffer headers = ByteBuffer.allocateDirect(SegmentFormat.RECORD_HEADER_SIZE * 64);
        final UnsafeBuffer headerView = new UnsafeBuffer(0, 0);
        final CRC32C crc = new CRC32C();

        Dir(int index, Path path, long capacity, FileChannel lockChannel, FileLock fileLock) {
            this.index = index;
            this.path = path;
            this.capacity = capacity;
            this.lockChannel = lockChannel;
            this.fileLock = fileLock;
        }
    }

    private LogStore(LogStoreConfig config, ExtentRelocator relocator) {
        this.config = config;
        this.ledger = new SpaceLedger(config.pinnedCap());
        this.dirs = new Dir[config.dirs().size()];
        // One thread per overlapping force round, so asynchronous rounds can overlap as well.
        this.forceExecutor = Executors.newFixedThreadPool(config.syncConcurrency(), r -> {
            Thread t = new Thread(r, "logstore-force");
            t.setDaemon(true);
            return t;
        });
        this.groupCommit = new GroupCommit(appendSeq::get, this::forceAll, forceExecutor,
                config.syncConcurrency());
        this.reclaimer = new SpaceReclaimer(new Space(), relocator, counters, config.highWatermark(),
                config.lowWatermark(), config.compactionThreshold(), config.reclaimInterval().toNanos());
        List<SegmentOutcome> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < dirs.length; i++) {
                dirs[i] = openDir(i, config.dirs().get(i), outcomes);
            }
            for (Dir d : dirs) {
                d.appendLock.lock();
                try {
                    d.active = createSegment(d);
                } finally {
                    d.appendLock.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            if (e instanceof WcacheException we) {
                throw we;
            }
            throw new WcacheException.Unavailable("log-store", "cannot open log store: " + e, e);
        }
        this.recoveryReport = new RecoveryReport(outcomes);
        for (SegmentOutcome o : recoveryReport.damaged()) {
            LOG.warn("event=segment_recovered dir={} segment={} outcome={} valid_end={} dropped_bytes={} "
                            + "damaged_records={} damaged_ranges={}", o.dir(), o.segmentId(), o.outcome(), o.validEnd(),
                    o.droppedBytes(), o.damagedRanges().size(), o.damagedRanges());
            if (!o.damagedRanges().isEmpty()) {
                damagedRanges.put(o.segmentId(), o.damagedRanges());
            }
        }
        LOG.info("event=log_store_opened dirs={} segments={} dropped_bytes={} damaged_records={}", dirs.length,
                segments.size(), recoveryReport.droppedBytes(), recoveryReport.damagedRecords());
    }

    /**
     * Opens (creating if needed) the store's directories and recovers their segments. Each
     * directory is locked against a second process. The relocator is told about extents that
     * eviction and compaction move or drop.
     */
    public static LogStore open(LogStoreConfig config, ExtentRelocator relocator) {
        return new LogStore(config, relocator);
    }

    // ---------------------------------------------------------------- recovery

    private Dir openDir(int index, LogStoreConfig.CacheDir cfg, List<SegmentOutcome> outcomes) throws IOException {
        Path path = cfg.path();
        Files.createDirectories(path);
        FileChannel lockChannel = FileChannel.open(path.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new WcacheException.Unavailable(path.toString(), "cache directory is in use by another log store", null);
        }
        Dir dir = new Dir(index, path, cfg.capacity(), lockChannel, lock);
        List<Path> files;
        try (Stream<Path> list = Files.list(path)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(SEGMENT_SUFFIX)).sorted().toList();
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            long id;
            try {
                id = Long.parseUnsignedLong(name.substring(0, name.length() - SEGMENT_SUFFIX.length()), 16);
            } catch (NumberFormatException e) {
                LOG.warn("event=foreign_file_ignored dir={} file={}", index, name);
                continue;
            }
            nextSegmentId.accumulateAndGet(id + 1, Math::max);
            recoverSegment(dir, file, id, outcomes);
        }
        return dir;
    }

    private void recoverSegment(Dir dir, Path file, long id, List<SegmentOutcome> outcomes) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = ch.size();
        if (size < SegmentFormat.SEGMENT_HEADER_SIZE) {
            ch.close();
            Files.delete(file);
            outcomes.add(new SegmentOutcome(dir.index, id, file, Outcome.DELETED_EMPTY, 0, size, 0));
            counters.recoveredTruncatedBytes.getAndAdd(size);
            return;
        }
        ByteBuffer header = ByteBuffer.allocate(SegmentFormat.SEGMENT_HEADER_SIZE);
        SegmentScanner.readFully(ch, header, 0);
        header.flip();
        SegmentFormat.SegmentHeader sh = SegmentFormat.decodeSegmentHeader(header);
        boolean headerRepaired = false;
        if (sh == null || sh.segmentId() != id) {
            // The file name names the segment. If records of the current format follow, the header
            // alone is damaged: rewrite it rather than set every record of the segment aside.
            if (sh == null && SegmentScanner.findNextHeader(ch, SegmentFormat.SEGMENT_HEADER_SIZE, size) >= 0) {
                ByteBuffer fresh = ByteBuffer.allocate(SegmentFormat.SEGMENT_HEADER_SIZE);
                SegmentFormat.encodeSegmentHeader(fresh, id, 0);
                fresh.clear();
                while (fresh.hasRemaining()) {
                    ch.write(fresh, fresh.position());
                }
                sh = new SegmentFormat.SegmentHeader(id, SegmentFormat.VERSION);
                headerRepaired = true;
                counters.corruptionsSeen.increment();
            } else {
                ch.close();
                Path aside = file.resolveSibling(file.getFileName() + ".corrupt");
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                outcomes.add(new SegmentOutcome(dir.index, id, aside, Outcome.QUARANTINED, 0, size, 0));
                counters.recoveredTruncatedBytes.getAndAdd(size);
                counters.corruptionsSeen.increment();
                return;
            }
        }
        short version = sh.version();
        if (!headerRepaired && SegmentScanner.endsWithSeal(ch, id, version, size)) {
            register(dir, new Segment(dir.index, id, file, ch, size, true, version));
            outcomes.add(new SegmentOutcome(dir.index, id, file, Outcome.SEALED, size, 0, -1));
            return;
        }
        SegmentScanner.Result scan = SegmentScanner.scan(ch, id, version, size, r -> { });
        long validEnd = scan.validEnd();
        Outcome outcome = switch (scan.stop()) {
            case END, SEALED -> scan.damaged().isEmpty() ? Outcome.CLEAN : Outcome.DAMAGED_RECORDS_SKIPPED;
            case TORN -> Outcome.TRUNCATED_TORN;
            case CORRUPT -> Outcome.TRUNCATED_CORRUPT;
        };
        if (headerRepaired) {
            outcome = Outcome.HEADER_REPAIRED;
        }
        counters.corruptionsSeen.getAndAdd(scan.damaged().size());
        if (validEnd < size) {
            ch.truncate(validEnd);
            counters.recoveredTruncatedBytes.getAndAdd(size - validEnd);
            if (scan.stop() == SegmentScanner.Stop.CORRUPT) {
                counters.corruptionsSeen.increment();
            }
        }
        // The kept bytes are forced, then sealed, so the next open need not scan them. Damaged
        // ranges stay in place (dead bytes, reclaimed by compaction); the worker learns of the
        // records in them from restore.
        ch.force(false);
        long end = scan.stop() == SegmentScanner.Stop.SEALED ? validEnd : writeSeal(ch, id, version, validEnd);
        ch.force(false);
        register(dir, new Segment(dir.index, id, file, ch, end, true, version));
        scannedEnds.put(id, validEnd);
        outcomes.add(new SegmentOutcome(dir.index, id, file, outcome, validEnd, size - validEnd, scan.records(),
                scan.damaged()));
    }

    private void register(Dir dir, Segment s) {
        segments.put(s.id(), s);
        ledger.addSegment(s.id());
        dir.used.addAndGet(s.size());
    }

    /** Writes a seal record (in the segment's format) at {@code position}; returns the new end of the segment. */
    private static long writeSeal(FileChannel ch, long segmentId, short version, long position) throws IOException {
        ByteBuffer seal = ByteBuffer.allocateDirect(SegmentFormat.recordHeaderSize(version));
        if (version == SegmentFormat.VERSION_1) {
            SegmentFormat.encodeRecordHeaderV1(seal, SegmentFormat.TYPE_SEAL, (byte) 0, segmentId, position, 0, null);
        } else {
            SegmentFormat.encodeRecordHeader(seal, new UnsafeBuffer(0, 0), SegmentFormat.TYPE_SEAL, (byte) 0, segmentId,
                    position, 0, null, new CRC32C());
        }
        seal.clear();
        long p = position;
        while (seal.hasRemaining()) {
            p += ch.write(seal, p);
        }
        return p;
    }

    /** What opening found in each segment file. */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /**
     * Declares which locations are live after a restart, and in which region; every other byte of
     * the recovered segments is dead. A location in a segment that was being appended to when the
     * store stopped, at or past the end of what survived there, is reported missing: it was lost
     * with a torn tail, so it was never synced. Any other location that does not hold an intact
     * record (its segment gone or set aside, past the end of a sealed segment, a record header that
     * does not check out, or a record overlapping a range recovery found damaged that fails its
     * full CRC check) is reported damaged. Neither becomes live. Call once, before relying on
     * eviction; this starts the background reclaimer.
     */
    public RestoreReport restore(Collection<LiveExtent> live) {
        ensureOpen();
        if (restored) {
            throw new IllegalStateException("restore may be called once");
        }
        int ok = 0;
        List<Location> missing = new ArrayList<>();
        List<Location> damaged = new ArrayList<>();
        for (LiveExtent e : live) {
            Location loc = e.location();
            Segment s = segments.get(loc.segmentId());
            if (s != null && s.dir() == loc.dir() && tornOff(loc, s)) {
                missing.add(loc);
                continue;
            }
            if (s == null || s.dir() != loc.dir() || loc.position() < SegmentFormat.SEGMENT_HEADER_SIZE
                    || loc.position() + SegmentFormat.frameSize(s.version(), loc.length()) > s.size()
                    || !s.tryAcquire()) {
                damaged.add(loc);
                continue;
            }
            boolean valid;
            try {
                ByteBuffer header = ByteBuffer.allocate(s.recordHeaderSize()).order(ByteOrder.LITTLE_ENDIAN);
                SegmentScanner.readFully(s.channel(), header, loc.position());
                header.flip();
                SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(s.version(), header);
                valid = h.headerValid() && h.type() == SegmentFormat.TYPE_DATA && h.length() == loc.length();
            } catch (IOException ex) {
                valid = false;
            } finally {
                s.release();
            }
            if (valid && touchesDamage(loc, s)) {
                try {
                    readVerified(loc, 0, ByteBuffer.allocate(0).limit(0));
                } catch (WcacheException.Corruption | WcacheException.NotFound ex) {
                    valid = false;
                }
            }
            if (valid) {
                ledger.addLive(loc, e.region(), false);
                ok++;
            } else {
                damaged.add(loc);
            }
        }
        restored = true;
        reclaimer.start("logstore-reclaim");
        if (!missing.isEmpty() || !damaged.isEmpty()) {
            LOG.warn("event=restore_unusable_extents missing={} damaged={} damaged_locations={}", missing.size(),
                    damaged.size(), damaged.size() <= 32 ? damaged : damaged.subList(0, 32));
        }
        LOG.info("event=restored live_extents={} missing={} damaged={}", ok, missing.size(), damaged.size());
        return new RestoreReport(ok, missing, damaged);
    }

    /** Whether {@code loc} lies at or past the end of what survived in a segment recovery scanned. */
    private boolean tornOff(Location loc, Segment s) {
        Long end = scannedEnds.get(s.id());
        return end != null && loc.position() >= end;
    }

    /** Whether {@code loc}'s record overlaps a range recovery skipped as damaged. */
    private boolean touchesDamage(Location loc, Segment s) {
        List<SegmentScanner.DamagedRange> ranges = damagedRanges.get(s.id());
        if (ranges == null) {
            return false;
        }
        long start = loc.position();
        long end = start + SegmentFormat.frameSize(s.version(), loc.length());
        for (SegmentScanner.DamagedRange r : ranges) {
            if (start < r.end() && r.position() < end) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- space

    /**
     * Reserves pinned bytes for a write about to be accepted. Throws
     * {@link WcacheException.OutOfSpace} (with a retry hint) when live pinned bytes plus
     * reservations would pass {@code pinnedRatio} of the capacity; a refusal changes nothing.
     */
    public PinnedReservation reservePinned(long bytes) {
        ensureOpen();
        return ledger.reserve(bytes);
    }

    /** The extent was deleted or superseded: its bytes become dead. False if it was not live here. */
    public boolean release(Location location) {
        return ledger.release(location);
    }

    /**
     * The index (the Catalog) now records these appended locations, so eviction and compaction
     * may move them: a move is applied to the index by location, which finds them only from now
     * on. Locations no longer live (released meanwhile) are ignored.
     */
    public void published(Collection<Location> locations) {
        for (Location l : locations) {
            ledger.published(l);
        }
    }

    /** The extent was persisted to the UFS: its bytes move from pinned to evictable. False if not live and pinned. */
    public boolean markPersisted(Location location) {
        return ledger.markPersisted(location);
    }

    /** The region of a live location, or null when it is not live (released, moved, or never restored). */
    public Region regionOf(Location location) {
        return ledger.regionOf(location);
    }

    /** Runs an eviction and compaction pass now, on the calling thread (tests, {@code wcadm fs free}). */
    public ReclaimResult reclaimNow() {
        ensureOpen();
        if (!restored) {
            throw new IllegalStateException("restore() must run before reclaiming: until then every extent looks dead");
        }
        return reclaimer.reclaim();
    }

    // ---------------------------------------------------------------- appends

    /** Runs between an append's write and its ledger entries (tests: what another thread may do there). */
    private volatile Runnable afterWrite;

    void afterWriteForTests(Runnable hook) {
        afterWrite = hook;
    }

    /** Appends one chunk; see {@link #append(List)}. */
    public Location append(Chunk chunk) {
        return append(List.of(chunk)).get(0);
    }

    /** Appends persisted or UFS-loaded bytes as evictable data. */
    public Location appendEvictable(long fileId, long fileOffset, ByteBuffer payload) {
        return append(Chunk.evictable(fileId, fileOffset, payload));
    }

    /** Appends unpersisted bytes as pinned data, consuming {@code reservation}. */
    public Location appendPinned(PinnedReservation reservation, long fileId, long fileOffset, ByteBuffer payload) {
        return append(Chunk.pinned(reservation, fileId, fileOffset, payload));
    }

    /**
     * Appends a batch of chunks to one directory with as few write calls as possible and returns
     * their locations in order. Pinned chunks consume their reservations (reserving any shortfall,
     * which may throw {@link WcacheException.OutOfSpace} before anything is written). Nothing is
     * durable until a {@link #sync()} that starts after this returns. The new locations are live
     * but pending: their segment is neither compacted nor evicted until the writer calls
     * {@link #published} (its index records them) or {@link #release}.
     */
    public List<Location> append(List<Chunk> chunks) {
        ensureOpen();
        if (chunks.isEmpty()) {
            return List.of();
        }
        List<SpaceLedger.Consumed> consumed = new ArrayList<>();
        try {
            for (Chunk c : chunks) {
                if (c.reservation() != null) {
                    consumed.add(ledger.consume(c.reservation(), c.length()));
                }
            }
            long frames = 0;
            for (Chunk c : chunks) {
                frames += SegmentFormat.frameSize(c.length());
            }
            Dir dir = chooseDir(frames);
            Location[] locations = write(dir, chunks);
            try {
                Runnable hook = afterWrite;
                if (hook != null) {
                    hook.run();
                }
                for (int i = 0; i < locations.length; i++) {
                    ledger.addPending(locations[i], chunks.get(i).region(), true);
                }
            } finally {
                // Only now may the reclaimer take their segments (sealed meanwhile by a roll): before,
                // it saw them without these records and could delete a record the writer then indexed.
                endAppends(locations);
            }
            if (restored && reclaimer.overHighWatermark(dir.index)) {
                reclaimer.wakeUp();
            }
            return List.of(locations);
        } catch (RuntimeException e) {
            for (SpaceLedger.Consumed c : consumed) {
                ledger.refund(c);
            }
            throw e;
        }
    }

    private Dir chooseDir(long frames) {
        Dir best = mostFree();
        if (best.used.get() + frames > best.capacity && restored) {
            reclaimer.reclaim();
            best = mostFree();
        }
        if (best.used.get() + frames > best.capacity) {
            throw new WcacheException.OutOfSpace(best.path.toString(),
                    "cache directory full: used=" + best.used.get() + " capacity=" + best.capacity + " requested=" + frames,
                    SpaceLedger.RETRY_AFTER);
        }
        return best;
    }

    private Dir mostFree() {
        Dir best = dirs[0];
        for (Dir d : dirs) {
            if (d.capacity - d.used.get() > best.capacity - best.used.get()) {
                best = d;
            }
        }
        return best;
    }

    /**
     * Writes the chunks as records into {@code dir}'s active segment (rolling when a record would
     * pass the segment size; an oversized record gets a segment to itself) and returns their
     * locations. The ledger is not touched.
     */
    private Location[] write(Dir dir, List<Chunk> chunks) {
        Location[] out = new Location[chunks.size()];
        dir.appendLock.lock();
        try {
            if (groupCommit.failure() != null) {
                throw groupCommit.failure();
            }
            if (dir.active.isSealed()) {
                // An earlier failed append could not start a fresh segment (the disk was full then).
                dir.active = createSegment(dir);
            }
            int start = 0;
            while (start < chunks.size()) {
                Segment seg = dir.active;
                long pos = seg.size();
                int end = start;
                long limit = config.segmentSize();
                while (end < chunks.size()) {
                    long frame = SegmentFormat.frameSize(chunks.get(end).length());
                    boolean empty = pos == SegmentFormat.SEGMENT_HEADER_SIZE;
                    if (pos + frame > limit && !(empty && end == start)) {
                        break;
                    }
                    pos += frame;
                    end++;
                }
                if (end == start) {
                    roll(dir);
                    continue;
                }
                writeRun(dir, seg, chunks, start, end, out);
                start = end;
            }
            return out;
        } catch (RuntimeException e) {
            endAppends(out); // records written before the failure are garbage: their segments may go
            throw e;
        } catch (IOException e) {
            endAppends(out);
            abandonActive(dir);
            if (WcacheException.OutOfSpace.isFileSystemFull(e)) {
                throw new WcacheException.OutOfSpace(dir.path.toString(), "the file system of cache directory "
                        + dir.path + " is full (" + e.getMessage() + ") before cache.capacity was reached: free space"
                        + " on that disk, or set cache.capacity below its free space", SpaceLedger.RETRY_AFTER);
            }
            throw new WcacheException.Unavailable(dir.path.toString(), "append failed: " + e, e);
        } finally {
            dir.appendLock.unlock();
        }
    }

    /** Ends the in-flight appends of {@code locations} (null entries: not written) in their segments. */
    private void endAppends(Location[] locations) {
        for (Location l : locations) {
            if (l != null) {
                Segment s = segments.get(l.segmentId());
                if (s != null) {
                    s.endAppend();
                }
            }
        }
    }

    private void writeRun(Dir dir, Segment seg, List<Chunk> chunks, int start, int end, Location[] out)
            throws IOException {
        int n = end - start;
        int headerBytes = n * SegmentFormat.RECORD_HEADER_SIZE;
        if (dir.headers.capacity() < headerBytes) {
            dir.headers = ByteBuffer.allocateDirect(Integer.highestOneBit(headerBytes) << 1);
        }
        int buffers = 0;
        for (int i = start; i < end; i++) {
            buffers += 1 + chunks.get(i).payload().length;
        }
        ByteBuffer[] gather = new ByteBuffer[buffers];
        long pos = seg.size();
        long bytes = 0;
        int g = 0;
        for (int i = start; i < end; i++) {
            Chunk c = chunks.get(i);
            ByteBuffer header = dir.headers.slice((i - start) * SegmentFormat.RECORD_HEADER_SIZE,
                    SegmentFormat.RECORD_HEADER_SIZE);
            byte flags = c.reservation() != null ? SegmentFormat.FLAG_PINNED : 0;
            SegmentFormat.encodeRecordHeader(header, dir.headerView, SegmentFormat.TYPE_DATA, flags, c.fileId(),
                    c.fileOffset(), c.length(), c.payload(), c.crc32c(), dir.crc);
            gather[g++] = header;
            for (ByteBuffer p : c.payload()) {
                gather[g++] = p.duplicate();
            }
            out[i] = new Location(dir.index, seg.id(), pos, c.length());
            seg.beginAppend();
            long frame = SegmentFormat.frameSize(c.length());
            pos += frame;
            bytes += frame;
        }
        FileChannel ch = seg.channel();
        ch.position(seg.size());
        long left = bytes;
        int first = 0;
        while (left > 0) {
            long w = ch.write(gather, first, gather.length - first);
            left -= w;
            while (first < gather.length && !gather[first].hasRemaining()) {
                first++;
            }
        }
        // Publish the new end only after the bytes are in the file: readers bound reads by it, and
        // a sync counts this append only after the sequence moves (dirty is marked before).
        dirty.add(seg);
        seg.setSize(pos);
        dir.used.addAndGet(bytes);
        counters.appends.getAndAdd(n);
        counters.appendedBytes.getAndAdd(bytes);
        appendSeq.addAndGet(n);
    }

    /** Seals the active segment (forced first, so a seal vouches for everything before it) and starts a new one. */
    private void roll(Dir dir) throws IOException {
        Segment old = dir.active;
        old.channel().force(false);
        long end = writeSeal(old.channel(), old.id(), old.version(), old.size());
        dir.used.addAndGet(end - old.size());
        old.setSize(end);
        dirty.add(old);
        old.markSealed();
        old.touch();
        dir.active = createSegment(dir);
    }

    /** After a failed write the active segment's tail is unknown: stop appending to it. */
    private void abandonActive(Dir dir) {
        Segment old = dir.active;
        try {
            old.channel().truncate(old.size());
        } catch (IOException ignored) {
            // recovery truncates the tail anyway
        }
        old.markSealed();
        try {
            dir.active = createSegment(dir);
        } catch (IOException e) {
            LOG.error("event=segment_create_failed dir={} error={}", dir.path, e.toString());
        }
    }

    private Segment createSegment(Dir dir) throws IOException {
        long id = nextSegmentId.getAndIncrement();
        Path path = dir.path.resolve(Segment.fileName(id));
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ByteBuffer header = ByteBuffer.allocateDirect(SegmentFormat.SEGMENT_HEADER_SIZE);
        SegmentFormat.encodeSegmentHeader(header, id, System.currentTimeMillis());
        header.clear();
        while (header.hasRemaining()) {
            ch.write(header, header.position());
        }
        Segment s = new Segment(dir.index, id, path, ch, SegmentFormat.SEGMENT_HEADER_SIZE, false);
        // The new file's directory entry must be durable before any sync vouches for its records.
        dir.needsDirSync = true;
        dirty.add(s);
        register(dir, s);
        return s;
    }

    // ---------------------------------------------------------------- sync

    /**
     * Completes once every append that returned before this call is durable (one shared
     * fdatasync). The future completes on a force thread: chain heavy work with an executor.
     */
    public CompletableFuture<Void> syncAsync() {
        ensureOpen();
        return groupCommit.syncAsync();
    }

    /** Blocks until every append that returned before this call is durable. */
    public void sync() {
        ensureOpen();
        groupCommit.sync();
    }

    private void forceAll() throws IOException {
        for (Dir d : dirs) {
            if (d.needsDirSync) {
                d.needsDirSync = false;
                try (FileChannel dc = FileChannel.open(d.path, StandardOpenOption.READ)) {
                    dc.force(true);
                }
            }
        }
        for (Segment s : dirty) {
            dirty.remove(s);
            try {
                s.channel().force(false);
            } catch (ClosedChannelException e) {
                // retired: it was sealed (forced) before it could be evicted
            }
        }
    }

    // ---------------------------------------------------------------- reads

    /** Reads a whole record's payload, verified against its CRC32C. */
    public ByteBuffer read(Location location) {
        return read(location, 0, location.length());
    }

    /**
     * Reads {@code length} payload bytes of a record starting at {@code offset}. The whole record
     * is checked against its CRC (the bytes outside the range are streamed, not kept), so corrupt
     * bytes are never returned: a mismatch throws {@link WcacheException.Corruption}. A location
     * whose segment was evicted or compacted away throws {@link WcacheException.NotFound}.
     */
    public ByteBuffer read(Location location, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(checkRange(location, offset, length));
        read(location, offset, dst);
        return dst.flip();
    }

    /**
     * Reads payload bytes from {@code offset} into {@code dst} (as many as it has room for) and
     * returns how many. On any exception the contents of {@code dst} are unspecified.
     */
    public int read(Location location, long offset, ByteBuffer dst) {
        int length = (int) Math.min(dst.remaining(), Math.max(0, location.length() - offset));
        checkRange(location, offset, length);
        ByteBuffer target = dst.slice().limit(length);
        readVerified(location, offset, target);
        dst.position(dst.position() + length);
        return length;
    }

    /**
     * Takes a read lease on the segments holding {@code locations}: until it is closed, reads
     * through it return those records' bytes even if eviction or compaction moves them and deletes
     * their segment meanwhile (the file is unlinked but stays open, so its space comes back when
     * the last lease on it closes). Throws {@link WcacheException.NotFound} when a segment is
     * already gone: the caller looks the locations up again in the index.
     */
    public Lease lease(Collection<Location> locations) {
        ensureOpen();
        Lease lease = new Lease();
        try {
            for (Location loc : locations) {
                if (lease.held.containsKey(loc.segmentId())) {
                    continue;
                }
                Segment s = segments.get(loc.segmentId());
                if (s == null || s.dir() != loc.dir() || !s.tryAcquire()) {
                    throw new WcacheException.NotFound(loc.toString(),
                            "segment no longer exists (evicted or compacted): " + loc);
                }
                lease.held.put(loc.segmentId(), s);
            }
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        return lease;
    }

    /**
     * Segments kept readable for one reader (see {@link #lease}). Reads of locations outside them
     * go to the store as usual. Thread-safe for reads; close once.
     */
    public final class Lease implements AutoCloseable {
        private final java.util.Map<Long, Segment> held = new java.util.HashMap<>();
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        private Lease() {
        }

        /** As {@link LogStore#read(Location, long, int)}, from the leased segment. */
        public ByteBuffer read(Location location, long offset, int length) {
            ByteBuffer dst = ByteBuffer.allocate(checkRange(location, offset, length));
            read(location, offset, dst);
            return dst.flip();
        }

        /** As {@link LogStore#read(Location, long, ByteBuffer)}, from the leased segment. */
        public int read(Location location, long offset, ByteBuffer dst) {
            if (closed.get()) {
                throw new WcacheException.InvalidArgument(location.toString(), "read lease is closed");
            }
            Segment s = held.get(location.segmentId());
            if (s == null || s.dir() != location.dir()) {
                return LogStore.this.read(location, offset, dst);
            }
            int length = (int) Math.min(dst.remaining(), Math.max(0, location.length() - offset));
            checkRange(location, offset, length);
            readFrom(s, location, offset, dst.slice().limit(length));
            dst.position(dst.position() + length);
            return length;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                for (Segment s : held.values()) {
                    s.release();
                }
            }
        }
    }

    private static int checkRange(Location loc, long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > loc.length()) {
            throw new WcacheException.InvalidArgument(loc.toString(),
                    "range " + offset + "+" + length + " outside a record of " + loc.length() + " bytes");
        }
        return length;
    }

    private SegmentFormat.RecordHeader readVerified(Location loc, long offset, ByteBuffer target) {
        ensureOpen();
        Segment s = segments.get(loc.segmentId());
        if (s == null || s.dir() != loc.dir() || !s.tryAcquire()) {
            throw new WcacheException.NotFound(loc.toString(), "segment no longer exists (evicted or compacted): " + loc);
        }
        try {
            return readFrom(s, loc, offset, target);
        } finally {
            s.release();
        }
    }

    /** Reads from a segment the caller holds a reference to. */
    private SegmentFormat.RecordHeader readFrom(Segment s, Location loc, long offset, ByteBuffer target) {
        try {
            int headerSize = s.recordHeaderSize();
            if (loc.position() < SegmentFormat.SEGMENT_HEADER_SIZE
                    || loc.position() + headerSize + loc.length() > s.size()) {
                throw new WcacheException.NotFound(loc.toString(), "no record at " + loc + " (segment ends at " + s.size() + ")");
            }
            FileChannel ch = s.channel();
            ByteBuffer header = ByteBuffer.allocate(headerSize).order(ByteOrder.LITTLE_ENDIAN);
            SegmentScanner.readFully(ch, header, loc.position());
            header.flip();
            SegmentFormat.RecordHeader h = SegmentFormat.RecordHeader.decode(s.version(), header);
            if (!h.headerValid()) {
                throw corruption(loc, "record header fails its CRC32C");
            }
            if (h.type() != SegmentFormat.TYPE_DATA || h.length() != loc.length()) {
                throw corruption(loc, "record header does not match the location (type=" + h.type() + " length="
                        + h.length() + ")");
            }
            CRC32C crc = new CRC32C();
            h.startPayloadCrc(crc, header);
            long payloadStart = loc.position() + headerSize;
            streamCrc(ch, crc, payloadStart, offset);
            int before = target.position();
            SegmentScanner.readFully(ch, target, payloadStart + offset);
            crc.update(target.duplicate().flip().position(before));
            streamCrc(ch, crc, payloadStart + offset + (target.position() - before),
                    loc.length() - offset - (target.position() - before));
            if ((int) crc.getValue() != h.crc()) {
                throw corruption(loc, "CRC32C mismatch");
            }
            s.touch();
            target.flip();
            return h;
        } catch (ClosedChannelException e) {
            throw new WcacheException.NotFound(loc.toString(), "segment closed while reading: " + loc);
        } catch (IOException e) {
            throw new WcacheException.Unavailable(loc.toString(), "read failed: " + e, e);
        }
    }

    private static void streamCrc(FileChannel ch, CRC32C crc, long position, long length) throws IOException {
        ByteBuffer scratch = READ_SCRATCH.get();
        long p = position;
        long left = length;
        while (left > 0) {
            scratch.clear().limit((int) Math.min(scratch.capacity(), left));
            SegmentScanner.readFully(ch, scratch, p);
            scratch.flip();
            int n = scratch.remaining();
            crc.update(scratch);
            p += n;
            left -= n;
        }
    }

    private WcacheException.Corruption corruption(Location loc, String why) {
        counters.corruptionsSeen.increment();
        LOG.warn("event=corruption_detected location={} reason=\"{}\"", loc, why);
        return new WcacheException.Corruption(loc.toString(), why + " at " + loc);
    }

    private StoredRecord readRecord(Location loc) {
        ByteBuffer payload = ByteBuffer.allocate(loc.length());
        SegmentFormat.RecordHeader h = readVerified(loc, 0, payload);
        return new StoredRecord(h.fileId(), h.fileOffset(), payload);
    }

    /**
     * Walks every record of every segment, verifying each, and returns the valid data records
     * (for tools and tests; it reads everything). Damaged records are skipped as recovery skips them.
     */
    public List<RecordInfo> scanRecords() {
        ensureOpen();
        List<RecordInfo> out = new ArrayList<>();
        List<Segment> all = new ArrayList<>(segments.values());
        all.sort((a, b) -> Long.compare(a.id(), b.id()));
        for (Segment s : all) {
            if (!s.tryAcquire()) {
                continue;
            }
            try {
                SegmentScanner.scan(s.channel(), s.id(), s.version(), s.size(), r -> out.add(new RecordInfo(
                        new Location(s.dir(), s.id(), r.position(), r.length()), r.fileId(), r.fileOffset())));
            } catch (IOException e) {
                throw new WcacheException.Unavailable(s.toString(), "scan failed: " + e, e);
            } finally {
                s.release();
            }
        }
        return out;
    }

    /** A valid record found by {@link #scanRecords()}: where it is and which file bytes it holds. */
    public record RecordInfo(Location location, long fileId, long fileOffset) {
    }

    // ---------------------------------------------------------------- stats and lifecycle

    /** Pinned space taken now (live pinned bytes plus reservations), against {@code stats().pinnedCapBytes()}. */
    public long pinnedInUse() {
        return ledger.pinnedInUse();
    }

    /** Space and counters now. */
    public LogStoreStats stats() {
        long capacity = 0;
        long used = 0;
        for (Dir d : dirs) {
            capacity += d.capacity;
            used += d.used.get();
        }
        return new LogStoreStats(capacity, used, Math.max(0, capacity - used), ledger.pinnedBytes(),
                ledger.reservedBytes(), ledger.pinnedCap(), ledger.evictableBytes(), segments.size(),
                counters.appends.get(), counters.appendedBytes.get(), groupCommit.requests(), groupCommit.rounds(),
                counters.evictions.get(), counters.compactions.get(), counters.relocatedExtents.get(),
                counters.droppedExtents.get(), counters.corruptionsSeen.get(), counters.recoveredTruncatedBytes.get());
    }

    /** The raw counters, for a metrics bridge. */
    public LogStoreCounters counters() {
        return counters;
    }

    public LogStoreConfig config() {
        return config;
    }

    private void ensureOpen() {
        if (closed) {
            throw new WcacheException.Unavailable("log-store", "log store is closed", null);
        }
    }

    /**
     * Stops the reclaimer, makes all appends durable and closes every file. Segments are not
     * sealed: the next open scans the active ones (one per directory).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        reclaimer.close();
        try {
            if (groupCommit.failure() == null) {
                groupCommit.sync();
            }
        } catch (RuntimeException e) {
            LOG.warn("event=close_sync_failed error={}", e.toString());
        }
        closed = true;
        closeQuietly();
        LOG.info("event=log_store_closed");
    }

    private void closeQuietly() {
        reclaimer.close();
        forceExecutor.shutdown();
        for (Segment s : segments.values()) {
            s.retire(false);
        }
        segments.clear();
        for (Dir d : dirs) {
            if (d == null) {
                continue;
            }
            try {
                d.fileLock.release();
                d.lockChannel.close();
            } catch (IOException e) {
                LOG.warn("event=dir_unlock_failed dir={} error={}", d.path, e.toString());
            }
        }
    }

    /** The reclaimer's view of this store. */
    private final class Space implements ReclaimableSpace {
        @Override
        public int dirCount() {
            return dirs.length;
        }

        @Override
        public long usedBytes(int dir) {
            return dirs[dir].used.get();
        }

        @Override
        public long capacity(int dir) {
            return dirs[dir].capacity;
        }

        @Override
        public List<Segment> sealedSegments(int dir) {
            List<Segment> out = new ArrayList<>();
            for (Segment s : segments.values()) {
                if (s.dir() == dir && s.isSealed()) {
                    out.add(s);
                }
            }
            out.sort((a, b) -> Long.compare(a.id(), b.id()));
            return out;
        }

        @Override
        public SpaceLedger ledger() {
            return ledger;
        }

        @Override
        public StoredRecord readRecord(Location location) {
            return LogStore.this.readRecord(location);
        }

        @Override
        public Location appendCopy(int dir, StoredRecord record) {
            Chunk c = new Chunk(record.fileId(), record.fileOffset(), new ByteBuffer[] {record.payload()}, null);
            // The reclaimer enters the copy in the ledger itself (commitRelocation), within the pass
            // that made it; no other pass runs meanwhile.
            Location[] copy = write(dirs[dir], List.of(c));
            endAppends(copy);
            return copy[0];
        }

        @Override
        public void sync() {
            groupCommit.sync();
        }

        @Override
        public void delete(Segment segment) {
            if (segments.remove(segment.id(), segment)) {
                ledger.removeSegment(segment.id());
                dirty.remove(segment);
                dirs[segment.dir()].used.addAndGet(-segment.size());
                segment.retire(true);
            }
        }
    }
}
