package io.wcache.fdb.embedded;

import com.apple.foundationdb.FDBError;
import com.apple.foundationdb.MutationType;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The durable, versioned key-value state under the embedded engine: RocksDB holds the newest committed
 * state, and a RocksDB snapshot per committed version serves reads at older versions for the MVCC window.
 * Commits are validated (serializable optimistic concurrency), applied in order and written a group
 * at a time as one synced {@link WriteBatch}: one fsync for the group. One thread at a time commits
 * ({@link #commitLock}): the committer thread, which gathers what clients queue, or, when nothing
 * is queued and nobody is committing, the client that submits (the <em>leader</em>), which then
 * commits its own transaction with whatever queued meanwhile on its own thread. A lone commit so
 * costs no hand-off to the committer and back, two thread wake-ups that cost more than the fsync
 * on an idle two-core machine; under load the committer groups as before.
 */
final class VersionedStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VersionedStore.class);
    /** FoundationDB's MVCC window: a read version is usable for five seconds. */
    static final long MVCC_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** History and snapshots outlive the window a little, so a transaction is never judged on missing data. */
    private static final long RETENTION_NANOS = MVCC_WINDOW_NANOS + TimeUnit.SECONDS.toNanos(1);
    private static final byte[] VERSION_KEY = "committed-version".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int MAX_GROUP = 4096;
    /** Longest the committer waits for stragglers of the previous group's size; well under one fsync. */
    private static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    static {
        RocksNative.load();
    }

    /** A commit waiting for the committer. */
    static final class PendingCommit {
        final long readVersion;
        final List<KeyRange> readConflicts;
        final List<KeyRange> writeConflicts;
        final List<Mutation> mutations;
        final long deadlineNanos;
        final long readVersionNanos;
        /**
         * False for a commit whose transaction set durability_risky: it is written to RocksDB's WAL
         * without a sync of its own, so it is durable once any later commit is synced (the WAL is
         * one ordered log) and survives a killed process at once (the write is in the OS).
         */
        final boolean sync;
        /**
         * Receives {commit version, batch order} or the error, on the committer thread; it must only hand
         * the outcome on, never block or run client code.
         */
        final java.util.function.BiConsumer<long[], Throwable> outcome;
        volatile boolean cancelled;

        PendingCommit(long readVersion, long readVersionNanos, List<KeyRange> readConflicts, List<KeyRange> writeConflicts,
                      List<Mutation> mutations, long deadlineNanos, boolean sync,
                      java.util.function.BiConsumer<long[], Throwable> outcome) {
            this.readVersion = readVersion;
            this.readVersionNanos = readVersionNanos;
            this.readConflicts = readConflicts;
            this.writeConflicts = writeConflicts;
            this.mutations = mutations;
            this.deadlineNanos = deadlineNanos;
            this.sync = sync;
            this.outcome = outcome;
        }
    }

    /** A watch: completes when the key's committed value differs from {@code seen}. */
    record Watch(byte[] key, byte[] seen, CompletableFuture<Void> future) {
    }

    private record CommitRecord(long version, long nanos, List<KeyRange> writes) {
    }

    private final Path directory;
    private final RocksDB db;
    private final ColumnFamilyHandle data;
    private final ColumnFamilyHandle meta;
    private final List<ColumnFamilyHandle> handles;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions unsyncedWrite = new WriteOptions().setSync(false);
    private final ConcurrentSkipListMap<Long, VersionSnapshot> snapshots = new ConcurrentSkipListMap<>();
    private final LinkedBlockingQueue<PendingCommit> queue = new LinkedBlockingQueue<>();
    /** Held by whoever commits a group (the committer thread or a leading client) and by close(). */
    private final java.util.concurrent.locks.ReentrantLock commitLock = new java.util.concurrent.locks.ReentrantLock();
    /** Commits led by a thread below normal priority, which ran at the highest one meanwhile (tests). */
    private final java.util.concurrent.atomic.AtomicLong boostedLeads = new java.util.concurrent.atomic.AtomicLong();
    private final ConcurrentLinkedQueue<Watch> watches = new ConcurrentLinkedQueue<>();
    private final CopyOnWriteArrayList<CommitListener> listeners = new CopyOnWriteArrayList<>();
    private final Thread committer;
    /** Guarded by {@link #commitLock}. */
    private final ArrayDeque<CommitRecord> history = new ArrayDeque<>();
    /** Guarded by {@link #commitLock}: commits at or below this version were dropped from the history. */
    private long historyFloor;
    private volatile long committedVersion;
    /**
     * The newest version whose commit wrote the meta-data version key (the recovered version at
     * open). Set before that version is published, so a read at or above it sees it.
     */
    private volatile long metaDataVersionWrittenAt;
    /** The meta-data version key's value as read at some version; see {@link #get}. */
    private volatile KnownValue metaDataVersion;

    /** A committed value of one key and the snapshot version it was read at. */
    private record KnownValue(long readAt, byte[] value) {
    }
    /** Groups written with a sync (tests). */
    private final java.util.concurrent.atomic.AtomicLong syncedGroups = new java.util.concurrent.atomic.AtomicLong();
    /** Range clears written as RocksDB range tombstones, having held too many keys for point deletes (tests). */
    private final java.util.concurrent.atomic.AtomicLong rangeTombstones = new java.util.concurrent.atomic.AtomicLong();
    /** A range clear holding more keys than this is one RocksDB range tombstone instead of point deletes. */
    static final int MAX_POINT_DELETES = 1024;
    private volatile boolean closed;

    private VersionedStore(Path directory, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions cfOptions,
                           List<ColumnFamilyHandle> handles) throws RocksDBException {
        this.directory = directory;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.data = handles.get(0);
        this.meta = handles.get(1);
        byte[] stored = db.get(meta, VERSION_KEY);
        long recovered = stored == null ? 0 : ByteBuffer.wrap(stored).getLong();
        this.committedVersion = recovered;
        this.historyFloor = recovered;
        this.metaDataVersionWrittenAt = recovered;
        snapshots.put(recovered, new VersionSnapshot(recovered, db, db.getSnapshot()));
        this.committer = new Thread(this::commitLoop, "wcache-fdb-committer-" + directory.getFileName());
        committer.setDaemon(true);
        committer.start();
        LOG.info("event=embedded_store_opened dir={} version={}", directory, recovered);
    }

    /** How many range clears were written as RocksDB range tombstones so far (tests). */
    long rangeTombstones() {
        return rangeTombstones.get();
    }

    /**
     * Flushes the memtables of both column families now, which makes the WAL files written before
     * obsolete and so reusable (tests).
     */
    void flushMemtables() {
        try (org.rocksdb.FlushOptions o = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(o, handles);
        } catch (RocksDBException e) {
            throw EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage());
        }
    }

    /** How many commit groups were written with an fsync so far (tests). */
    long syncedGroups() {
        return syncedGroups.get();
    }

    /** The RocksDB instance, for tests that read its per-thread perf counters. */
    RocksDB rocksForTests() {
        return db;
    }

    /** Opens (creating if needed) the store in {@code directory}; fails clearly if another process holds it. */
    static VersionedStore open(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create metadata directory " + dir + ": " + e.getMessage(), e);
        }
        // WAL files are reused once obsolete, overwritten in place: an fdatasync of an append to a
        // reused file writes data only, while one that grows a file also commits the file system's
        // journal, which then waits for (and is waited for by) the log store's own syncs on the same
        // disk. With one flush for both column families, a WAL is obsolete as soon as the data
        // family's memtable is flushed (the meta family, one key, never fills its own).
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setRecycleLogFileNum(4).setAtomicFlush(true);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("engine".getBytes(java.nio.charset.StandardCharsets.US_ASCII), cfOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new VersionedStore(dir, db, dbOptions, cfOptions, handles);
        } catch (RocksDBException e) {
            dbOptions.close();
            cfOptions.close();
            String message = String.valueOf(e.getMessage());
            if (message.contains("LOCK") || message.toLowerCase(java.util.Locale.ROOT).contains("lock")) {
                throw new IllegalStateException("metadata directory " + dir
                        + " is in use by another process (or already open in this one): " + message, e);
            }
            throw new IllegalStateException("cannot open metadata directory " + dir + ": " + message, e);
        }
    }

    Path directory() {
        return directory;
    }

    /** Commits led by a thread below normal priority (tests). */
    long boostedLeads() {
        return boostedLeads.get();
    }

    /** The RocksDB instance underneath (tests read its per-thread perf counters). */
    RocksDB rocks() {
        return db;
    }

    long committedVersion() {
        return committedVersion;
    }

    /**
     * The snapshot for reads at {@code readVersion}, with a read reference taken; the caller releases it.
     * Fails with {@code transaction_too_old} once the version has left the MVCC window and with
     * {@code future_version} for a version not yet committed.
     */
    VersionSnapshot acquire(long readVersion) {
        checkOpen();
        if (readVersion > committedVersion) {
            throw EmbeddedFdbException.of(FDBError.FUTURE_VERSION, "read version " + readVersion);
        }
        Map.Entry<Long, VersionSnapshot> entry = snapshots.floorEntry(readVersion);
        if (entry == null || !entry.getValue().acquire()) {
            throw EmbeddedFdbException.of(FDBError.TRANSACTION_TOO_OLD, "read version " + readVersion);
        }
        return entry.getValue();
    }

    /**
     * The value of {@code key} at {@code snapshot}. The meta-data version key, which the Record Layer
     * reads at every store open and which changes only when a store's state does, is answered from
     * the value last read when no commit wrote it since that read nor after the snapshot's version.
     */
    byte[] get(VersionSnapshot snapshot, byte[] key) {
        boolean metaDataVersionKey = Arrays.equals(key, Keys.METADATA_VERSION);
        if (metaDataVersionKey) {
            long writtenAt = metaDataVersionWrittenAt;
            KnownValue known = metaDataVersion;
            if (known != null && snapshot.version >= writtenAt && known.readAt() >= writtenAt) {
                return known.value() == null ? null : known.value().clone();
            }
        }
        byte[] value;
        try (ReadOptions ro = new ReadOptions().setSnapshot(snapshot.snapshot())) {
            value = db.get(data, ro, key);
        } catch (RocksDBException e) {
            throw EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage());
        }
        if (metaDataVersionKey && snapshot.version >= metaDataVersionWrittenAt) {
            metaDataVersion = new KnownValue(snapshot.version, value == null ? null : value.clone());
        }
        return value;
    }

    /**
     * Reads up to {@code limit} committed rows of {@code [begin, end)} at {@code snapshot}, skipping keys for
     * which {@code hidden} returns the end of a hidden interval (forward) or its begin (reverse).
     */
    List<byte[][]> scan(VersionSnapshot snapshot, byte[] begin, byte[] end, boolean reverse, int limit,
                        java.util.function.Function<byte[], Map.Entry<byte[], byte[]>> hidden) {
        List<byte[][]> rows = new ArrayList<>(Math.min(limit, 1024));
        // Both bounds go to RocksDB: without them a seek that finds no live key in the range walks every
        // deleted key after it (a drained queue, superseded index entries) to the next live one,
        // which makes a point-sized range read cost more the longer the store runs.
        try (org.rocksdb.Slice lower = new org.rocksdb.Slice(begin);
             org.rocksdb.Slice upper = new org.rocksdb.Slice(end);
             ReadOptions ro = new ReadOptions().setSnapshot(snapshot.snapshot())
                     .setIterateLowerBound(lower).setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(data, ro)) {
            if (!reverse) {
                it.seek(begin);
                while (it.isValid() && rows.size() < limit) {
                    byte[] k = it.key();
                    if (Keys.compare(k, end) >= 0) {
                        break;
                    }
                    Map.Entry<byte[], byte[]> h = hidden.apply(k);
                    if (h != null) {
                        it.seek(h.getValue());
                        continue;
                    }
                    rows.add(new byte[][] {k, it.value()});
                    if (rows.size() == limit) {
                        break; // a step past the last row wanted would walk any deleted keys after it
                    }
                    it.next();
                }
            } else {
                it.seekForPrev(end);
                if (it.isValid() && Keys.compare(it.key(), end) >= 0) {
                    it.prev();
                }
                while (it.isValid() && rows.size() < limit) {
                    byte[] k = it.key();
                    if (Keys.compare(k, begin) < 0) {
                        break;
                    }
                    Map.Entry<byte[], byte[]> h = hidden.apply(k);
                    if (h != null) {
                        it.seekForPrev(h.getKey());
                        if (it.isValid() && Keys.compare(it.key(), h.getKey()) >= 0) {
                            it.prev();
                        }
                        continue;
                    }
                    rows.add(new byte[][] {k, it.value()});
                    if (rows.size() == limit) {
                        break;
                    }
                    it.prev();
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage());
        }
        return rows;
    }

    long estimatedSize(byte[] begin, byte[] end) {
        checkOpen();
        try (org.rocksdb.Slice b = new org.rocksdb.Slice(begin); org.rocksdb.Slice e = new org.rocksdb.Slice(end)) {
            long[] sizes = db.getApproximateSizes(data, List.of(new org.rocksdb.Range(b, e)),
                    org.rocksdb.SizeApproximationFlag.INCLUDE_FILES, org.rocksdb.SizeApproximationFlag.INCLUDE_MEMTABLES);
            return sizes[0];
        }
    }

    /**
     * Commits or queues {@code commit}; its outcome callback is invoked once: on the calling thread
     * when it led the commit itself (nothing was queued and nobody was committing), otherwise on the
     * thread that committed its group.
     */
    void submit(PendingCommit commit) {
        if (closed) {
            commit.outcome.accept(null, EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED, "database closed"));
            return;
        }
        if (!queue.isEmpty() || Thread.currentThread() == committer || !commitLock.tryLock()) {
            queue.add(commit);
            return;
        }
        // A background thread (an upload, at a low OS priority) that leads a commit holds the lock
        // every other commit needs: if the scheduler set it aside meanwhile, the write path would
        // wait for it. It runs at the highest priority until it lets go of the lock.
        Thread self = Thread.currentThread();
        int priority = self.getPriority();
        boolean boosted = priority < Thread.NORM_PRIORITY;
        if (boosted) {
            self.setPriority(Thread.MAX_PRIORITY);
            boostedLeads.incrementAndGet();
        }
        List<Runnable> outcomes = new ArrayList<>();
        try {
            if (closed) {
                outcomes.add(() -> complete(commit, null,
                        EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED, "database closed")));
            } else {
                List<PendingCommit> group = new ArrayList<>();
                group.add(commit);
                queue.drainTo(group, MAX_GROUP - 1);
                try {
                    commitGroup(group, outcomes);
                } catch (Throwable t) {
                    LOG.error("event=committer_failure dir={}", directory, t);
                    outcomes.clear();
                    for (PendingCommit p : group) {
                        outcomes.add(() -> complete(p, null,
                                EmbeddedFdbException.of(FDBError.INTERNAL_ERROR, String.valueOf(t))));
                    }
                }
            }
        } finally {
            commitLock.unlock();
            if (boosted) {
                self.setPriority(priority);
            }
        }
        // Outside the lock: this thread's own outcome runs its continuations (which may commit
        // again), and so would that of any other transaction this thread started and left pending.
        outcomes.forEach(Runnable::run);
    }

    private void commitLoop() {
        List<PendingCommit> group = new ArrayList<>();
        int previousGroupSize = 1;
        while (!closed || !queue.isEmpty()) {
            try {
                PendingCommit first = queue.poll(100, TimeUnit.MILLISECONDS);
                commitLock.lock();
                try {
                    if (first != null) {
                        group.add(first);
                        queue.drainTo(group, MAX_GROUP - 1);
                        // Clients released by the previous fsync are still on their way back with their next
                        // commit; yielding briefly lets them join this group instead of waiting a whole fsync.
                        long waitUntil = System.nanoTime() + GATHER_NANOS;
                        while (group.size() < previousGroupSize && System.nanoTime() < waitUntil) {
                            Thread.yield();
                            queue.drainTo(group, MAX_GROUP - group.size());
                        }
                        previousGroupSize = group.size();
                        commitGroup(group, null);
                        group.clear();
                    }
                    retireOldVersions();
                } finally {
                    commitLock.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable t) {
                LOG.error("event=committer_failure dir={}", directory, t);
                for (PendingCommit p : group) {
                    complete(p, null, EmbeddedFdbException.of(FDBError.INTERNAL_ERROR, String.valueOf(t)));
                }
                group.clear();
            }
        }
    }

    /**
     * Commits {@code group} (the caller holds {@link #commitLock}) and completes each commit's outcome
     * at once, or, with {@code deferred} (a client leading the commit), adds the completions there
     * for the caller to run once it released the lock.
     */
    private void commitGroup(List<PendingCommit> group, List<Runnable> deferred) {
        long now = System.nanoTime();
        long version = Math.max(committedVersion + 1, System.currentTimeMillis() * 1000L);
        GroupOverlay overlay = new GroupOverlay();
        List<List<KeyRange>> groupWrites = new ArrayList<>();
        List<PendingCommit> accepted = new ArrayList<>();
        List<PendingCommit> rejected = new ArrayList<>();
        List<EmbeddedFdbException> errors = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch()) {
            for (PendingCommit p : group) {
                EmbeddedFdbException error = validate(p, now, groupWrites);
                if (error == null && accepted.size() >= 65_535) {
                    error = EmbeddedFdbException.of(FDBError.NOT_COMMITTED, "commit group full");
                }
                if (error != null) {
                    rejected.add(p);
                    errors.add(error);
                    continue;
                }
                byte[] stamp = versionstamp(version, accepted.size());
                for (Mutation m : p.mutations) {
                    apply(m, stamp, batch, overlay);
                }
                groupWrites.add(p.writeConflicts);
                accepted.add(p);
            }
            if (!accepted.isEmpty()) {
                batch.put(meta, VERSION_KEY, ByteBuffer.allocate(8).putLong(version).array());
                boolean sync = false;
                for (PendingCommit p : accepted) {
                    sync |= p.sync;
                }
                db.write(sync ? syncWrite : unsyncedWrite, batch);
                if (sync) {
                    syncedGroups.incrementAndGet();
                }
                if (overlay.touched(Keys.METADATA_VERSION)) {
                    metaDataVersionWrittenAt = version;
                }
                VersionSnapshot previous = snapshots.lastEntry().getValue();
                snapshots.put(version, new VersionSnapshot(version, db, db.getSnapshot()));
                previous.supersededAtNanos = System.nanoTime();
                committedVersion = version;
                List<KeyRange> all = new ArrayList<>();
                groupWrites.forEach(all::addAll);
                history.addLast(new CommitRecord(version, now, KeyRange.coalesce(all)));
                if (!listeners.isEmpty()) {
                    tellListeners(version, overlay);
                }
            }
        } catch (RocksDBException e) {
            LOG.error("event=commit_write_failed dir={} commits={}", directory, accepted.size(), e);
            for (PendingCommit p : accepted) {
                finish(p, null, EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage()), deferred);
            }
            accepted.clear();
        } catch (EmbeddedFdbException e) {
            // A mutation that cannot be applied (a malformed versionstamp operand) fails the whole group
            // untouched; it is retried without the offender by the clients that did nothing wrong.
            for (PendingCommit p : accepted) {
                finish(p, null, EmbeddedFdbException.of(FDBError.NOT_COMMITTED, "group aborted by an invalid mutation"),
                        deferred);
            }
            accepted.clear();
        }
        for (int i = 0; i < rejected.size(); i++) {
            finish(rejected.get(i), null, errors.get(i), deferred);
        }
        for (int i = 0; i < accepted.size(); i++) {
            PendingCommit p = accepted.get(i);
            finish(p, new long[] {version, i}, null, deferred);
        }
        if (!accepted.isEmpty() && !watches.isEmpty()) {
            fireWatches(overlay);
        }
    }

    void addListener(CommitListener l) {
        listeners.add(l);
    }

    void removeListener(CommitListener l) {
        listeners.remove(l);
    }

    /** After the group's version is visible and before any of its commits completes: see {@link CommitListener}. */
    private void tellListeners(long version, GroupOverlay overlay) {
        Collection<byte[]> keys = Collections.unmodifiableCollection(overlay.written.keySet());
        List<byte[][]> ranges = new ArrayList<>(overlay.cleared.size());
        for (KeyRange r : overlay.cleared) {
            ranges.add(new byte[][] {r.begin(), r.end()});
        }
        for (CommitListener l : listeners) {
            try {
                l.committed(version, keys, ranges);
            } catch (RuntimeException e) {
                LOG.warn("event=commit_listener_failed dir={} error={}", directory, e.toString());
            }
        }
    }

    private EmbeddedFdbException validate(PendingCommit p, long now, List<List<KeyRange>> groupWrites) {
        if (p.cancelled) {
            return EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED);
        }
        if (p.deadlineNanos != 0 && now - p.deadlineNanos > 0) {
            return EmbeddedFdbException.of(FDBError.TRANSACTION_TIMED_OUT);
        }
        if (p.readVersion < historyFloor || now - p.readVersionNanos > MVCC_WINDOW_NANOS) {
            return EmbeddedFdbException.of(FDBError.TRANSACTION_TOO_OLD, "read version " + p.readVersion);
        }
        if (p.readConflicts.isEmpty()) {
            return null;
        }
        for (List<KeyRange> w : groupWrites) {
            if (KeyRange.anyIntersect(w, p.readConflicts)) {
                return EmbeddedFdbException.of(FDBError.NOT_COMMITTED);
            }
        }
        Iterator<CommitRecord> newestFirst = history.descendingIterator();
        while (newestFirst.hasNext()) {
            CommitRecord record = newestFirst.next();
            if (record.version <= p.readVersion) {
                break;
            }
            if (KeyRange.anyIntersect(record.writes, p.readConflicts)) {
                return EmbeddedFdbException.of(FDBError.NOT_COMMITTED);
            }
        }
        return null;
    }

    /**
     * Writes a range clear into {@code batch} as point deletes of the keys the range holds (in
     * RocksDB before this group and written earlier in it), or as one RocksDB range tombstone when
     * it holds more than {@link #MAX_POINT_DELETES}. Range tombstones cost every later read: each
     * iterator and point read of the memtable consults its range deletions, rebuilding their
     * fragmented list, so a small clear per commit (a confirmed pending sync, a record's key range)
     * made reads slower the longer a worker ran, until a memtable flush; a few point deletes cost
     * nothing after the commit. The caller holds the commit lock, so RocksDB holds exactly the
     * state before this group.
     */
    private void clearRange(byte[] begin, byte[] end, WriteBatch batch, GroupOverlay overlay) throws RocksDBException {
        if (Keys.compare(begin, end) >= 0) {
            return;
        }
        List<byte[]> keys = new ArrayList<>(overlay.writtenIn(begin, end));
        try (org.rocksdb.Slice lower = new org.rocksdb.Slice(begin);
             org.rocksdb.Slice upper = new org.rocksdb.Slice(end);
             ReadOptions ro = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(data, ro)) {
            for (it.seek(begin); it.isValid(); it.next()) {
                if (keys.size() >= MAX_POINT_DELETES) {
                    batch.deleteRange(data, begin, end);
                    rangeTombstones.incrementAndGet();
                    return;
                }
                keys.add(it.key());
            }
            it.status();
        }
        for (byte[] k : keys) {
            batch.delete(data, k);
        }
    }

    static byte[] versionstamp(long version, int order) {
        return ByteBuffer.allocate(10).putLong(version).putShort((short) order).array();
    }

    private void apply(Mutation m, byte[] stamp, WriteBatch batch, GroupOverlay overlay) throws RocksDBException {
        if (m instanceof Mutation.Set s) {
            batch.put(data, s.key(), s.value());
            overlay.put(s.key(), s.value());
        } else if (m instanceof Mutation.Clear c) {
            batch.delete(data, c.key());
            overlay.put(c.key(), null);
        } else if (m instanceof Mutation.ClearRange r) {
            clearRange(r.key(), r.end(), batch, overlay);
            overlay.clearRange(r.key(), r.end());
        } else if (m instanceof Mutation.Atomic a) {
            byte[] key = a.key();
            byte[] value;
            if (a.type() == MutationType.SET_VERSIONSTAMPED_KEY) {
                key = AtomicMutations.fillVersionstamp(a.key(), stamp);
                value = a.param();
            } else if (a.type() == MutationType.SET_VERSIONSTAMPED_VALUE) {
                value = AtomicMutations.fillVersionstamp(a.param(), stamp);
            } else {
                value = AtomicMutations.apply(a.type(), overlay.get(key), a.param());
            }
            if (value == null) {
                batch.delete(data, key);
            } else {
                batch.put(data, key, value);
            }
            overlay.put(key, value);
        }
    }

    /**
     * Arms watches after their transaction committed: each is added first and then compared with the
     * newest committed value, so a change racing with registration still fires it.
     */
    void registerWatches(List<Watch> toAdd) {
        for (Watch w : toAdd) {
            watches.add(w);
            byte[] now;
            try {
                now = db.get(data, w.key);
            } catch (RocksDBException e) {
                w.future.completeExceptionally(EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage()));
                continue;
            }
            if (!java.util.Arrays.equals(now, w.seen)) {
                watches.remove(w);
                CompletableFuture.runAsync(() -> w.future.complete(null), EmbeddedDatabase.CALLBACKS);
            }
        }
    }

    private void fireWatches(GroupOverlay overlay) {
        for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
            Watch w = it.next();
            if (w.future.isDone()) {
                it.remove();
                continue;
            }
            if (overlay.touched(w.key)) {
                byte[] now = overlay.get(w.key);
                if (!java.util.Arrays.equals(now, w.seen)) {
                    it.remove();
                    CompletableFuture.runAsync(() -> w.future.complete(null), EmbeddedDatabase.CALLBACKS);
                }
            }
        }
    }

    private static void finish(PendingCommit p, long[] result, Throwable error, List<Runnable> deferred) {
        if (deferred != null) {
            deferred.add(() -> complete(p, result, error));
        } else {
            complete(p, result, error);
        }
    }

    private static void complete(PendingCommit p, long[] result, Throwable error) {
        try {
            p.outcome.accept(result, error);
        } catch (RuntimeException e) {
            LOG.warn("event=commit_outcome_failed error={}", e.toString());
        }
    }

    private void retireOldVersions() {
        long now = System.nanoTime();
        while (!history.isEmpty() && now - history.peekFirst().nanos > RETENTION_NANOS) {
            historyFloor = history.pollFirst().version;
        }
        while (snapshots.size() > 1) {
            Map.Entry<Long, VersionSnapshot> oldest = snapshots.firstEntry();
            long superseded = oldest.getValue().supersededAtNanos;
            if (superseded == 0 || now - superseded <= RETENTION_NANOS) {
                break;
            }
            snapshots.pollFirstEntry();
            oldest.getValue().release();
        }
    }

    /** The values written so far in a commit group, over the committed state, for atomic operations. */
    private final class GroupOverlay {
        private final NavigableMap<byte[], byte[]> written = new TreeMap<>(Keys.ORDER);
        private final List<KeyRange> cleared = new ArrayList<>();
        private static final byte[] ABSENT = new byte[0];

        void put(byte[] key, byte[] value) {
            written.put(key, value == null ? ABSENT : value);
        }

        void clearRange(byte[] begin, byte[] end) {
            if (Keys.compare(begin, end) < 0) {
                written.subMap(begin, true, end, false).clear();
                cleared.add(new KeyRange(begin, end));
            }
        }

        /** The keys this group wrote (set or cleared) in {@code [begin, end)} so far. */
        Collection<byte[]> writtenIn(byte[] begin, byte[] end) {
            return written.subMap(begin, true, end, false).keySet();
        }

        boolean touched(byte[] key) {
            if (written.containsKey(key)) {
                return true;
            }
            KeyRange point = KeyRange.single(key);
            return cleared.stream().anyMatch(r -> r.intersects(point));
        }

        byte[] get(byte[] key) {
            byte[] v = written.get(key);
            if (v != null) {
                return v == ABSENT ? null : v;
            }
            if (touched(key)) {
                return null;
            }
            try {
                return db.get(data, key);
            } catch (RocksDBException e) {
                throw EmbeddedFdbException.of(FDBError.IO_ERROR, e.getMessage());
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("metadata database " + directory + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            committer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A client leading a commit finishes it before RocksDB closes; later ones see closed.
        commitLock.lock();
        commitLock.unlock();
        for (PendingCommit p; (p = queue.poll()) != null; ) {
            complete(p, null, EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED, "database closed"));
        }
        for (Watch w : watches) {
            w.future.completeExceptionally(EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED, "database closed"));
        }
        for (VersionSnapshot s : snapshots.values()) {
            s.release();
        }
        // Reads that took a snapshot before close() finish quickly (they are synchronous); closing RocksDB
        // under them would free memory they still use, so wait for them, boundedly.
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (snapshots.values().stream().anyMatch(s -> !s.isReleased()) && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
            Thread.yield();
        }
        if (snapshots.values().stream().anyMatch(s -> !s.isReleased())) {
            LOG.warn("event=close_with_reads_in_flight dir={}", directory);
        }
        snapshots.clear();
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            LOG.warn("event=wal_flush_failed dir={} error={}", directory, e.getMessage());
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        syncWrite.close();
        unsyncedWrite.close();
        dbOptions.close();
        cfOptions.close();
        LOG.info("event=embedded_store_closed dir={} version={}", directory, committedVersion);
    }
}
