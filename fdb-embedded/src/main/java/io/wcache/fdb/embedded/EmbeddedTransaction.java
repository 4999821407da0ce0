package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBError;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeyArrayResult;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MappedKeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionOptions;
import com.apple.foundationdb.async.AsyncIterable;
import com.apple.foundationdb.async.AsyncIterator;
import com.apple.foundationdb.tuple.ByteArrayUtil;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A transaction on the embedded engine with FoundationDB's semantics: a read version fixed at first use,
 * snapshot reads through a pinned RocksDB snapshot, read-your-writes over point and range reads, implicit
 * and explicit conflict ranges, and an optimistic commit validated by the store's single committer.
 * Reads run on the calling thread and return completed futures; commit and retry futures complete on the
 * transaction's executor. Methods are synchronized because the Record Layer may touch a transaction from
 * several pool threads, one at a time.
 */
final class EmbeddedTransaction extends RangeReadOverloads implements Transaction {
    private static final long INITIAL_BACKOFF_MILLIS = 10;

    private final EmbeddedDatabase database;
    private final VersionedStore store;
    private final Executor executor;
    private final TransactionOptions options = new TransactionOptions(this::setOption);
    private final ReadTransaction snapshotView = new SnapshotView();
    private final long createdNanos = System.nanoTime();

    private TransactionWrites writes = new TransactionWrites();
    private List<KeyRange> readConflicts = new ArrayList<>();
    private List<KeyRange> writeConflicts = new ArrayList<>();
    private List<VersionedStore.Watch> watches = new ArrayList<>();
    private CompletableFuture<byte[]> versionstamp = new CompletableFuture<>();
    private VersionedStore.PendingCommit inFlight;
    private long readVersion = -1;
    private long readVersionNanos;
    private long committedVersion = -1;
    private boolean cancelled;
    private boolean closed;

    // Options. Those that FoundationDB keeps across onError (timeout, retry limit, delays, size) survive reset().
    private long deadlineNanos;
    private long retryLimit = -1;
    private long maxRetryDelayMillis = 1000;
    private long sizeLimit = Keys.TRANSACTION_SIZE_LIMIT;
    private long backoffMillis = INITIAL_BACKOFF_MILLIS;
    private long retries;
    private boolean readYourWritesDisabled;
    private boolean accessSystemKeys;
    private boolean readSystemKeys;
    private boolean nextWriteNoConflict;
    /** Set by the durability_risky option: the commit skips its own fsync (see {@link VersionedStore}). */
    private boolean unsynced;

    EmbeddedTransaction(EmbeddedDatabase database, VersionedStore store, Executor executor) {
        this.database = database;
        this.store = store;
        this.executor = executor;
    }

    // ---------------------------------------------------------------- state and options

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("Cannot access closed object");
        }
        if (cancelled) {
            throw EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED);
        }
        if (deadlineNanos != 0 && System.nanoTime() - deadlineNanos > 0) {
            throw EmbeddedFdbException.of(FDBError.TRANSACTION_TIMED_OUT);
        }
    }

    private void checkWritable() {
        checkUsable();
        if (inFlight != null) {
            throw EmbeddedFdbException.of(FDBError.USED_DURING_COMMIT);
        }
    }

    private void setOption(int code, byte[] param) {
        synchronized (this) {
            switch (code) {
                case 30 -> nextWriteNoConflict = true;
                // durability_risky (a no-op on FoundationDB, whose commits are always durable): this
                // commit is written without its own fsync and becomes durable with the next synced one.
                case 120 -> unsynced = true;
                case 51 -> readYourWritesDisabled = true;
                case 301 -> {
                    accessSystemKeys = true;
                    readSystemKeys = true;
                }
                case 302 -> readSystemKeys = true;
                case 500 -> {
                    long ms = longParam(param);
                    deadlineNanos = ms <= 0 ? 0 : createdNanos + TimeUnit.MILLISECONDS.toNanos(ms);
                    if (deadlineNanos == 0 && ms > 0) {
                        deadlineNanos = 1;
                    }
                }
                case 501 -> retryLimit = longParam(param);
                case 502 -> maxRetryDelayMillis = Math.max(0, longParam(param));
                case 503 -> sizeLimit = longParam(param) <= 0 ? Keys.TRANSACTION_SIZE_LIMIT : longParam(param);
                default -> {
                    // Priorities, tags, tracing, causal-risk and similar options change nothing in one process.
                }
            }
        }
    }

    private static long longParam(byte[] param) {
        if (param == null || param.length != 8) {
            throw EmbeddedFdbException.of(FDBError.INVALID_OPTION_VALUE);
        }
        return ByteBuffer.wrap(param).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public TransactionOptions options() {
        return options;
    }

    @Override
    public boolean isSnapshot() {
        return false;
    }

    @Override
    public ReadTransaction snapshot() {
        return snapshotView;
    }

    @Override
    public Executor getExecutor() {
        return executor;
    }

    @Override
    public Database getDatabase() {
        return database;
    }

    // ---------------------------------------------------------------- versions

    @Override
    public synchronized CompletableFuture<Long> getReadVersion() {
        try {
            checkUsable();
            return CompletableFuture.completedFuture(readVersion());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private long readVersion() {
        if (readVersion < 0) {
            readVersion = store.committedVersion();
            readVersionNanos = System.nanoTime();
        }
        return readVersion;
    }

    @Override
    public synchronized void setReadVersion(long version) {
        checkUsable();
        if (readVersion >= 0) {
            throw EmbeddedFdbException.of(FDBError.READ_VERSION_ALREADY_SET);
        }
        if (version < 0) {
            throw EmbeddedFdbException.of(FDBError.VERSION_INVALID);
        }
        readVersion = version;
        readVersionNanos = System.nanoTime();
    }

    @Override
    public synchronized Long getCommittedVersion() {
        return committedVersion;
    }

    @Override
    public synchronized CompletableFuture<byte[]> getVersionstamp() {
        return versionstamp;
    }

    @Override
    public synchronized CompletableFuture<Long> getApproximateSize() {
        return CompletableFuture.completedFuture(approximateSize());
    }

    private long approximateSize() {
        long size = writes.size;
        for (KeyRange r : readConflicts) {
            size += r.begin().length + r.end().length;
        }
        for (KeyRange r : writeConflicts) {
            size += r.begin().length + r.end().length;
        }
        return size;
    }

    /** Takes the snapshot for this transaction's read version, enforcing the MVCC window. */
    private VersionSnapshot acquireSnapshot() {
        long rv = readVersion();
        if (System.nanoTime() - readVersionNanos > VersionedStore.MVCC_WINDOW_NANOS) {
            throw EmbeddedFdbException.of(FDBError.TRANSACTION_TOO_OLD, "read version " + rv);
        }
        return store.acquire(rv);
    }

    // ---------------------------------------------------------------- key checks

    private void checkReadKey(byte[] key) {
        if (Keys.isSystem(key) && !readSystemKeys && !Arrays.equals(key, Keys.METADATA_VERSION)) {
            throw EmbeddedFdbException.of(FDBError.KEY_OUTSIDE_LEGAL_RANGE, ByteArrayUtil.printable(key));
        }
    }

    private void checkWriteKey(byte[] key) {
        if (key.length > Keys.KEY_SIZE_LIMIT) {
            throw EmbeddedFdbException.of(FDBError.KEY_TOO_LARGE, key.length + " bytes");
        }
        if (Keys.isSystem(key) && !accessSystemKeys && !Arrays.equals(key, Keys.METADATA_VERSION)) {
            throw EmbeddedFdbException.of(FDBError.KEY_OUTSIDE_LEGAL_RANGE, ByteArrayUtil.printable(key));
        }
    }

    private static void checkValue(byte[] value) {
        if (value.length > Keys.VALUE_SIZE_LIMIT) {
            throw EmbeddedFdbException.of(FDBError.VALUE_TOO_LARGE, value.length + " bytes");
        }
    }

    private byte[] keySpaceEnd(byte[] hint) {
        return readSystemKeys || Keys.isSystem(hint) ? Keys.SYSTEM_END : Keys.SYSTEM_PREFIX;
    }

    // ---------------------------------------------------------------- point reads

    @Override
    public CompletableFuture<byte[]> get(byte[] key) {
        return immediate(() -> doGet(key, false));
    }

    private static <T> CompletableFuture<T> immediate(java.util.function.Supplier<T> op) {
        try {
            return CompletableFuture.completedFuture(op.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private synchronized byte[] doGet(byte[] key, boolean snapshot) {
        checkUsable();
        checkReadKey(key);
        if (!readYourWritesDisabled) {
            TransactionWrites.Entry entry = writes.entries.get(key);
            if (entry instanceof TransactionWrites.Value v) {
                return v.value();
            }
            if (entry instanceof TransactionWrites.Cleared) {
                return null;
            }
            if (entry instanceof TransactionWrites.Unreadable) {
                throw EmbeddedFdbException.of(FDBError.ACCESSED_UNREADABLE, ByteArrayUtil.printable(key));
            }
            if (entry == null && writes.isClearedByRange(key)) {
                return null;
            }
            if (entry instanceof TransactionWrites.Pending p) {
                return TransactionWrites.applyPending(committedGet(key, snapshot), p.ops());
            }
        }
        return committedGet(key, snapshot);
    }

    private byte[] committedGet(byte[] key, boolean snapshot) {
        VersionSnapshot s = acquireSnapshot();
        try {
            byte[] value = store.get(s, key);
            if (!snapshot) {
                readConflicts.add(KeyRange.single(key));
            }
            return value;
        } finally {
            s.release();
        }
    }

    @Override
    public CompletableFuture<byte[]> getKey(KeySelector selector) {
        return immediate(() -> resolve(selector, false));
    }

    /** Resolves a key selector against committed data merged with this transaction's writes. */
    private synchronized byte[] resolve(KeySelector selector, boolean snapshot) {
        checkUsable();
        byte[] key = selector.getKey();
        byte[] limit = keySpaceEnd(key);
        int offset = selector.getOffset();
        if (offset >= 1) {
            byte[] begin = selector.orEqual() ? Keys.after(key) : key;
            int remaining = offset;
            while (Keys.compare(begin, limit) < 0) {
                Chunk chunk = fetch(begin, limit, false, Math.min(remaining, 1000), snapshot);
                if (chunk.rows.size() >= remaining) {
                    return chunk.rows.get(remaining - 1).getKey();
                }
                remaining -= chunk.rows.size();
                if (chunk.exhausted) {
                    break;
                }
                begin = Keys.after(chunk.boundary);
            }
            return limit;
        }
        byte[] end = Keys.min(selector.orEqual() ? Keys.after(key) : key, limit);
        int remaining = 1 - offset;
        while (end.length > 0) {
            Chunk chunk = fetch(Keys.EMPTY, end, true, Math.min(remaining, 1000), snapshot);
            if (chunk.rows.size() >= remaining) {
                return chunk.rows.get(remaining - 1).getKey();
            }
            remaining -= chunk.rows.size();
            if (chunk.exhausted) {
                break;
            }
            end = chunk.boundary;
        }
        return Keys.EMPTY;
    }

    /** One step of a range scan: rows in direction order and where the next step resumes. */
    private record Chunk(List<KeyValue> rows, byte[] boundary, boolean exhausted) {
    }

    /**
     * Reads up to {@code n} visible rows of {@code [begin, end)}: committed rows at the read version merged
     * with this transaction's writes. Adds the read conflict range actually covered unless {@code snapshot}.
     */
    private synchronized Chunk fetch(byte[] begin, byte[] end, boolean reverse, int n, boolean snapshot) {
        checkUsable();
        VersionSnapshot s = acquireSnapshot();
        try {
            boolean ryw = !readYourWritesDisabled;
            Function<byte[], Map.Entry<byte[], byte[]>> hidden = ryw ? writes::clearedRangeAt : k -> null;
            List<byte[][]> committed = store.scan(s, begin, end, reverse, n, hidden);
            boolean committedDone = committed.size() < n;
            byte[] lastCommitted = committed.isEmpty() ? null : committed.get(committed.size() - 1)[0];
            NavigableMap<byte[], byte[]> merged = new TreeMap<>(Keys.ORDER);
            for (byte[][] row : committed) {
                merged.put(row[0], row[1]);
            }
            if (ryw && !writes.entries.isEmpty()) {
                NavigableMap<byte[], TransactionWrites.Entry> local;
                if (committedDone) {
                    local = writes.entries.subMap(begin, true, end, false);
                } else if (!reverse) {
                    local = writes.entries.subMap(begin, true, lastCommitted, true);
                } else {
                    local = writes.entries.subMap(lastCommitted, true, end, false);
                }
                for (Map.Entry<byte[], TransactionWrites.Entry> e : local.entrySet()) {
                    TransactionWrites.Entry entry = e.getValue();
                    if (entry instanceof TransactionWrites.Value v) {
                        merged.put(e.getKey(), v.value());
                    } else if (entry instanceof TransactionWrites.Cleared) {
                        merged.remove(e.getKey());
                    } else if (entry instanceof TransactionWrites.Unreadable) {
                        throw EmbeddedFdbException.of(FDBError.ACCESSED_UNREADABLE, ByteArrayUtil.printable(e.getKey()));
                    } else if (entry instanceof TransactionWrites.Pending p) {
                        byte[] value = TransactionWrites.applyPending(merged.get(e.getKey()), p.ops());
                        if (value == null) {
                            merged.remove(e.getKey());
                        } else {
                            merged.put(e.getKey(), value);
                        }
                    }
                }
            }
            List<KeyValue> rows = new ArrayList<>(Math.min(n, merged.size()));
            for (Map.Entry<byte[], byte[]> e : (reverse ? merged.descendingMap() : merged).entrySet()) {
                if (rows.size() == n) {
                    break;
                }
                rows.add(new KeyValue(e.getKey(), e.getValue()));
            }
            boolean truncated = merged.size() > n;
            boolean exhausted = !truncated && committedDone;
            byte[] boundary = truncated ? rows.get(rows.size() - 1).getKey() : lastCommitted;
            if (!snapshot) {
                if (exhausted) {
                    readConflicts.add(new KeyRange(begin, end));
                } else if (!reverse) {
                    readConflicts.add(new KeyRange(begin, Keys.after(boundary)));
                } else {
                    readConflicts.add(new KeyRange(boundary, end));
                }
            }
            return new Chunk(rows, boundary, exhausted);
        } finally {
            s.release();
        }
    }

    // ---------------------------------------------------------------- range reads

    @Override
    public AsyncIterable<KeyValue> getRange(KeySelector begin, KeySelector end, int limit, boolean reverse, StreamingMode mode) {
        return new RangeQuery(begin, end, limit, reverse, mode, false);
    }

    @Override
    public AsyncIterable<MappedKeyValue> getMappedRange(KeySelector begin, KeySelector end, byte[] mapper, int limit,
                                                       boolean reverse, StreamingMode mode) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "getMappedRange");
    }

    /**
     * Resolves a range boundary. A first-greater-or-equal/than selector bounds a range exactly like its key
     * (or the key's successor), so only other forms need a scan.
     */
    private byte[] boundary(KeySelector selector, boolean snapshot) {
        byte[] key = selector.getKey();
        if (selector.getOffset() == 1) {
            byte[] resolved = selector.orEqual() ? Keys.after(key) : key;
            return Keys.min(resolved, keySpaceEnd(key));
        }
        return resolve(selector, snapshot);
    }

    /** A lazily evaluated range read that fetches rows in chunks as the caller iterates. */
    private final class RangeQuery implements AsyncIterable<KeyValue> {
        private final KeySelector begin;
        private final KeySelector end;
        private final int limit;
        private final boolean reverse;
        private final StreamingMode mode;
        private final boolean snapshot;

        RangeQuery(KeySelector begin, KeySelector end, int limit, boolean reverse, StreamingMode mode, boolean snapshot) {
            this.begin = begin;
            this.end = end;
            this.limit = limit;
            this.reverse = reverse;
            this.mode = mode;
            this.snapshot = snapshot;
        }

        @Override
        public AsyncIterator<KeyValue> iterator() {
            return new RangeIterator(this);
        }

        @Override
        public CompletableFuture<List<KeyValue>> asList() {
            try {
                List<KeyValue> out = new ArrayList<>();
                RangeIterator it = new RangeIterator(this);
                while (it.hasNextNow()) {
                    out.add(it.next());
                }
                return CompletableFuture.completedFuture(out);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }

    private final class RangeIterator implements AsyncIterator<KeyValue> {
        private final RangeQuery query;
        private final ArrayDeque<KeyValue> buffer = new ArrayDeque<>();
        private byte[] lo;
        private byte[] hi;
        private boolean started;
        private boolean done;
        private int remaining;
        private int chunkSize;

        RangeIterator(RangeQuery query) {
            this.query = query;
            this.remaining = query.limit <= 0 ? Integer.MAX_VALUE : query.limit;
            this.chunkSize = switch (query.mode) {
                case WANT_ALL, EXACT, SERIAL -> 10_000;
                case LARGE -> 4_000;
                case MEDIUM -> 1_000;
                case SMALL -> 100;
                case ITERATOR -> 100;
            };
            if (query.mode == StreamingMode.EXACT && query.limit <= 0) {
                throw EmbeddedFdbException.of(FDBError.EXACT_MODE_WITHOUT_LIMITS);
            }
        }

        private boolean hasNextNow() {
            if (!started) {
                started = true;
                lo = boundary(query.begin, query.snapshot);
                hi = boundary(query.end, query.snapshot);
                if (Keys.compare(hi, Keys.SYSTEM_PREFIX) > 0 && !readSystemKeys && !Keys.isSystem(query.begin.getKey())) {
                    throw EmbeddedFdbException.of(FDBError.KEY_OUTSIDE_LEGAL_RANGE, ByteArrayUtil.printable(hi));
                }
                done = Keys.compare(lo, hi) >= 0;
            }
            while (buffer.isEmpty() && !done && remaining > 0) {
                int n = Math.min(chunkSize, remaining);
                Chunk chunk = fetch(lo, hi, query.reverse, n, query.snapshot);
                buffer.addAll(chunk.rows);
                remaining -= chunk.rows.size();
                if (chunk.exhausted) {
                    done = true;
                } else if (!query.reverse) {
                    lo = Keys.after(chunk.boundary);
                } else {
                    hi = chunk.boundary;
                }
                if (query.mode == StreamingMode.ITERATOR && chunkSize < 4_000) {
                    chunkSize *= 2;
                }
            }
            return !buffer.isEmpty();
        }

        @Override
        public CompletableFuture<Boolean> onHasNext() {
            try {
                return CompletableFuture.completedFuture(hasNextNow());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public boolean hasNext() {
            return onHasNext().join();
        }

        @Override
        public KeyValue next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return buffer.poll();
        }

        @Override
        public void cancel() {
            done = true;
            buffer.clear();
        }
    }

    @Override
    public synchronized CompletableFuture<Long> getEstimatedRangeSizeBytes(byte[] begin, byte[] end) {
        try {
            checkUsable();
            return CompletableFuture.completedFuture(store.estimatedSize(begin, end));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Long> getEstimatedRangeSizeBytes(Range range) {
        return getEstimatedRangeSizeBytes(range.begin, range.end);
    }

    @Override
    public CompletableFuture<KeyArrayResult> getRangeSplitPoints(byte[] begin, byte[] end, long chunkSize) {
        return CompletableFuture.failedFuture(EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "getRangeSplitPoints"));
    }

    @Override
    public CompletableFuture<KeyArrayResult> getRangeSplitPoints(Range range, long chunkSize) {
        return getRangeSplitPoints(range.begin, range.end, chunkSize);
    }

    // ---------------------------------------------------------------- conflict ranges

    @Override
    public synchronized boolean addReadConflictRangeIfNotSnapshot(byte[] begin, byte[] end) {
        addReadConflictRange(begin, end);
        return true;
    }

    @Override
    public synchronized boolean addReadConflictKeyIfNotSnapshot(byte[] key) {
        addReadConflictKey(key);
        return true;
    }

    @Override
    public synchronized void addReadConflictRange(byte[] begin, byte[] end) {
        checkUsable();
        if (Keys.compare(begin, end) > 0) {
            throw EmbeddedFdbException.of(FDBError.INVERTED_RANGE);
        }
        readConflicts.add(new KeyRange(begin, end));
    }

    @Override
    public synchronized void addReadConflictKey(byte[] key) {
        checkUsable();
        readConflicts.add(KeyRange.single(key));
    }

    @Override
    public synchronized void addWriteConflictRange(byte[] begin, byte[] end) {
        checkWritable();
        if (Keys.compare(begin, end) > 0) {
            throw EmbeddedFdbException.of(FDBError.INVERTED_RANGE);
        }
        writeConflicts.add(new KeyRange(begin, end));
    }

    @Override
    public synchronized void addWriteConflictKey(byte[] key) {
        checkWritable();
        writeConflicts.add(KeyRange.single(key));
    }

    private void implicitWriteConflict(KeyRange range) {
        if (nextWriteNoConflict) {
            nextWriteNoConflict = false;
            return;
        }
        writeConflicts.add(range);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public synchronized void set(byte[] key, byte[] value) {
        checkWritable();
        checkWriteKey(key);
        checkValue(value);
        writes.set(key, value);
        implicitWriteConflict(KeyRange.single(key));
    }

    @Override
    public synchronized void clear(byte[] key) {
        checkWritable();
        checkWriteKey(key);
        writes.clear(key);
        implicitWriteConflict(KeyRange.single(key));
    }

    @Override
    public synchronized void clear(byte[] begin, byte[] end) {
        checkWritable();
        if (Keys.compare(begin, end) > 0) {
            throw EmbeddedFdbException.of(FDBError.INVERTED_RANGE);
        }
        if (Keys.compare(end, Keys.SYSTEM_PREFIX) > 0 && !accessSystemKeys) {
            throw EmbeddedFdbException.of(FDBError.KEY_OUTSIDE_LEGAL_RANGE, ByteArrayUtil.printable(end));
        }
        writes.clearRange(begin, end);
        implicitWriteConflict(new KeyRange(begin, end));
    }

    @Override
    public void clear(Range range) {
        clear(range.begin, range.end);
    }

    @Override
    public void clearRangeStartsWith(byte[] prefix) {
        clear(Range.startsWith(prefix));
    }

    @Override
    public synchronized void mutate(MutationType type, byte[] key, byte[] param) {
        checkWritable();
        if (type == MutationType.SET_VERSIONSTAMPED_KEY) {
            if (key.length - 4 > Keys.KEY_SIZE_LIMIT) {
                throw EmbeddedFdbException.of(FDBError.KEY_TOO_LARGE, key.length + " bytes");
            }
            checkValue(param);
            AtomicMutations.fillVersionstamp(key, new byte[10]);
            writes.atomic(type, key, param);
            return;
        }
        checkWriteKey(key);
        if (type == MutationType.SET_VERSIONSTAMPED_VALUE) {
            AtomicMutations.fillVersionstamp(param, new byte[10]);
            checkValue(Arrays.copyOf(param, param.length - 4));
        } else {
            checkValue(param);
        }
        writes.atomic(type, key, param);
        implicitWriteConflict(KeyRange.single(key));
    }

    // ---------------------------------------------------------------- commit, retry, lifecycle

    @Override
    public CompletableFuture<Void> commit() {
        CommitFuture done;
        VersionedStore.PendingCommit pending;
        synchronized (this) {
            Object prepared = prepareCommit();
            if (prepared instanceof CompletableFuture<?> early) {
                @SuppressWarnings("unchecked")
                CompletableFuture<Void> f = (CompletableFuture<Void>) early;
                return f;
            }
            Prepared p = (Prepared) prepared;
            pending = p.pending();
            done = p.done();
        }
        // Outside the transaction's lock: a commit this thread leads completes here, continuations included.
        store.submit(pending);
        return done;
    }

    /** A commit ready to submit, and the future {@link #commit} returns for it. */
    private record Prepared(VersionedStore.PendingCommit pending, CommitFuture done) {
    }

    /** The pending commit to submit, or the future of a commit that ends without one (read-only, refused). */
    private Object prepareCommit() {
        try {
            checkWritable();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (writes.isEmpty() && writeConflicts.isEmpty()) {
            committedVersion = -1;
            versionstamp.completeExceptionally(EmbeddedFdbException.outcome(FDBError.NO_COMMIT_VERSION));
            if (!watches.isEmpty()) {
                store.registerWatches(watches);
                watches = new ArrayList<>();
            }
            return CompletableFuture.completedFuture(null);
        }
        if (approximateSize() > sizeLimit) {
            return CompletableFuture.failedFuture(EmbeddedFdbException.of(FDBError.TRANSACTION_TOO_LARGE,
                    approximateSize() + " bytes"));
        }
        long rv = readVersion();
        List<VersionedStore.Watch> armed = watches;
        watches = new ArrayList<>();
        CompletableFuture<byte[]> stamp = versionstamp;
        CommitFuture done = new CommitFuture();
        VersionedStore.PendingCommit[] self = new VersionedStore.PendingCommit[1];
        VersionedStore.PendingCommit pending = new VersionedStore.PendingCommit(rv, readVersionNanos,
                KeyRange.coalesce(readConflicts), KeyRange.coalesce(writeConflicts), List.copyOf(writes.log),
                deadlineNanos, !unsynced, (result, error) -> done.deliver(() -> finishCommit(self[0], result, error, armed, stamp, done), executor));
        self[0] = pending;
        inFlight = pending;
        return new Prepared(pending, done);
    }

    /** Runs on the client's thread (waiting, or leading its commit) or the executor, never on the committer thread. */
    private void finishCommit(VersionedStore.PendingCommit pending, long[] result, Throwable error,
                              List<VersionedStore.Watch> armed, CompletableFuture<byte[]> stamp, CompletableFuture<Void> done) {
        synchronized (this) {
            if (inFlight == pending) {
                inFlight = null;
            }
            if (error == null) {
                committedVersion = result[0];
            }
        }
        if (error == null) {
            store.registerWatches(armed);
            stamp.complete(VersionedStore.versionstamp(result[0], (int) result[1]));
            done.complete(null);
        } else {
            Throwable cause = unwrap(error);
            for (VersionedStore.Watch w : armed) {
                w.future().completeExceptionally(cause);
            }
            stamp.completeExceptionally(cause);
            done.completeExceptionally(cause);
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    @Override
    public CompletableFuture<Transaction> onError(Throwable error) {
        Throwable e = unwrap(error);
        if (!(e instanceof FDBException fdb)) {
            return CompletableFuture.failedFuture(e);
        }
        int code = fdb.getCode();
        if (!EmbeddedFdbException.isMaybeCommitted(code) && !EmbeddedFdbException.isRetryableNotCommitted(code)) {
            return CompletableFuture.failedFuture(e);
        }
        long delay;
        synchronized (this) {
            if (closed || cancelled) {
                return CompletableFuture.failedFuture(EmbeddedFdbException.of(FDBError.TRANSACTION_CANCELLED));
            }
            if (retryLimit >= 0 && retries >= retryLimit) {
                return CompletableFuture.failedFuture(e);
            }
            retries++;
            // Full jitter: contending clients spread out instead of colliding again in lockstep.
            delay = ThreadLocalRandom.current().nextLong(backoffMillis + 1);
            backoffMillis = Math.min(Math.max(1, backoffMillis * 2), Math.max(maxRetryDelayMillis, 1));
            reset();
        }
        Executor delayed = CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, executor);
        return CompletableFuture.supplyAsync(() -> this, delayed);
    }

    /** Forgets reads, writes and the read version; keeps the options FoundationDB keeps across retries. */
    private void reset() {
        writes = new TransactionWrites();
        readConflicts = new ArrayList<>();
        writeConflicts = new ArrayList<>();
        failWatches(FDBError.TRANSACTION_CANCELLED);
        if (!versionstamp.isDone()) {
            versionstamp.completeExceptionally(EmbeddedFdbException.outcome(FDBError.TRANSACTION_CANCELLED));
        }
        versionstamp = new CompletableFuture<>();
        inFlight = null;
        readVersion = -1;
        committedVersion = -1;
        nextWriteNoConflict = false;
        unsynced = false;
    }

    private void failWatches(FDBError error) {
        if (watches.isEmpty()) {
            return;
        }
        EmbeddedFdbException cause = EmbeddedFdbException.outcome(error);
        for (VersionedStore.Watch w : watches) {
            w.future().completeExceptionally(cause);
        }
        watches = new ArrayList<>();
    }

    @Override
    public synchronized CompletableFuture<Void> watch(byte[] key) throws FDBException {
        checkUsable();
        byte[] seen = doGet(key, true);
        CompletableFuture<Void> future = new CompletableFuture<>();
        watches.add(new VersionedStore.Watch(key, seen, future));
        return future;
    }

    @Override
    public synchronized void cancel() {
        cancelled = true;
        if (inFlight != null) {
            inFlight.cancelled = true;
        }
        failWatches(FDBError.TRANSACTION_CANCELLED);
        if (!versionstamp.isDone()) {
            versionstamp.completeExceptionally(EmbeddedFdbException.outcome(FDBError.TRANSACTION_CANCELLED));
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            failWatches(FDBError.TRANSACTION_CANCELLED);
            closed = true;
        }
    }

    @Override
    public <T> T run(Function<? super Transaction, T> retryable) {
        return retryable.apply(this);
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<? super Transaction, ? extends CompletableFuture<T>> retryable) {
        return retryable.apply(this).thenApply(Function.identity());
    }

    @Override
    public <T> T read(Function<? super ReadTransaction, T> retryable) {
        return retryable.apply(this);
    }

    @Override
    public <T> CompletableFuture<T> readAsync(Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable) {
        return retryable.apply(this).thenApply(Function.identity());
    }

    /** The snapshot view: the same transaction, reading without adding read conflict ranges. */
    private final class SnapshotView extends RangeReadOverloads {
        @Override
        public boolean isSnapshot() {
            return true;
        }

        @Override
        public ReadTransaction snapshot() {
            return this;
        }

        @Override
        public CompletableFuture<Long> getReadVersion() {
            return EmbeddedTransaction.this.getReadVersion();
        }

        @Override
        public void setReadVersion(long version) {
            EmbeddedTransaction.this.setReadVersion(version);
        }

        @Override
        public boolean addReadConflictRangeIfNotSnapshot(byte[] begin, byte[] end) {
            return false;
        }

        @Override
        public boolean addReadConflictKeyIfNotSnapshot(byte[] key) {
            return false;
        }

        @Override
        public CompletableFuture<byte[]> get(byte[] key) {
            return immediate(() -> doGet(key, true));
        }

        @Override
        public CompletableFuture<byte[]> getKey(KeySelector selector) {
            return immediate(() -> resolve(selector, true));
        }

        @Override
        public AsyncIterable<KeyValue> getRange(KeySelector begin, KeySelector end, int limit, boolean reverse, StreamingMode mode) {
            return new RangeQuery(begin, end, limit, reverse, mode, true);
        }

        @Override
        public AsyncIterable<MappedKeyValue> getMappedRange(KeySelector begin, KeySelector end, byte[] mapper, int limit,
                                                           boolean reverse, StreamingMode mode) {
            return EmbeddedTransaction.this.getMappedRange(begin, end, mapper, limit, reverse, mode);
        }

        @Override
        public CompletableFuture<Long> getEstimatedRangeSizeBytes(byte[] begin, byte[] end) {
            return EmbeddedTransaction.this.getEstimatedRangeSizeBytes(begin, end);
        }

        @Override
        public CompletableFuture<Long> getEstimatedRangeSizeBytes(Range range) {
            return EmbeddedTransaction.this.getEstimatedRangeSizeBytes(range);
        }

        @Override
        public CompletableFuture<KeyArrayResult> getRangeSplitPoints(byte[] begin, byte[] end, long chunkSize) {
            return EmbeddedTransaction.this.getRangeSplitPoints(begin, end, chunkSize);
        }

        @Override
        public CompletableFuture<KeyArrayResult> getRangeSplitPoints(Range range, long chunkSize) {
            return EmbeddedTransaction.this.getRangeSplitPoints(range, chunkSize);
        }

        @Override
        public TransactionOptions options() {
            return options;
        }

        @Override
        public <T> T read(Function<? super ReadTransaction, T> retryable) {
            return retryable.apply(this);
        }

        @Override
        public <T> CompletableFuture<T> readAsync(Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable) {
            return retryable.apply(this).thenApply(Function.identity());
        }

        @Override
        public Executor getExecutor() {
            return executor;
        }
    }
}
