package io.wcache.schema.catalog;

import io.wcache.core.error.FailureCause;
import io.wcache.core.metrics.Stage;
import io.wcache.core.metrics.Stages;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.record.EndpointType;
import com.apple.foundationdb.record.ExecuteProperties;
import com.apple.foundationdb.record.IndexScanType;
import com.apple.foundationdb.record.IsolationLevel;
import com.apple.foundationdb.record.RecordCursor;
import com.apple.foundationdb.record.RecordCursorIterator;
import com.apple.foundationdb.record.RecordMetaData;
import com.apple.foundationdb.record.ScanProperties;
import com.apple.foundationdb.record.TupleRange;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBIndexedRecord;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoredRecord;
import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpacePath;
import com.apple.foundationdb.record.provider.foundationdb.storestate.FDBRecordStoreStateCache;
import com.apple.foundationdb.record.provider.foundationdb.storestate.MetaDataVersionStampStoreStateCacheFactory;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.PathRule;
import io.wcache.core.policy.WritePolicy;
import io.wcache.schema.WcacheMetaData;
import io.wcache.schema.proto.WcacheRecords;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed, transactional metadata operations over the wcache record store. Every operation, and
 * every batch given to {@link #apply}, is exactly one Record Layer transaction run through
 * {@link FDBDatabase#runAsync}, retried on conflicts; results are domain records, never raw
 * protobuf. The operations of the write and read paths have an asynchronous form
 * ({@code fooAsync}, a {@link CompletableFuture}) beside the synchronous one ({@code foo}); the
 * administrative ones are synchronous only. Failures are {@link WcacheException}s: a refused
 * precondition is its typed error, a metadata engine failure is {@code Unavailable}.
 *
 * <p>Invariants: a path has at most one {@code COMMITTED} version; committing a session makes it
 * that version atomically and returns the one it replaced; generations of a path only grow; a
 * path has at most one persist task, the newest; per-worker byte counters change only through
 * atomic adds so hot counters never cause conflicts.
 */
public final class Catalog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

    /** Key prefix (in the counters subspace) of the per-batch markers that make {@link #apply} idempotent. */
    private static final String MARKER_PREFIX = "appliedBatch";
    /** A batch marker older than this belongs to a batch answered long ago (retries take seconds). */
    static final Duration MARKER_TTL = Duration.ofHours(1);
    private static final int MARKERS_CLEARED_PER_BATCH = 64;

    /** File ids are reserved in blocks so that opening a session never contends on one key. */
    static final int ID_BLOCK = 1000;
    private static final int MAX_ERROR_CHARS = 2000;

    private final FDBDatabase database;
    private final FDBRecordStoreStateCache storeStateCache;
    private final String name;
    private final KeySpacePath recordsPath;
    private final KeySpacePath countersPath;
    private final Clock clock;
    private final ExecutorService executor;
    private final RecordMetaData metaData = WcacheMetaData.metaData();
    private final Object fileType;
    private final Object extentType;
    private final Object policyType;
    private final Object mountType;
    private final Object mountSeenType;
    private final Object taskType;
    private final Object tombstoneType;
    private final Object workerType;
    private final Object uploadType;
    private final Object partType;
    private volatile Subspace counters;
    /** Markers of answered {@link #apply} batches, cleared by the next batches. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Tuple> markersToClear = new java.util.concurrent.ConcurrentLinkedQueue<>();

    // Guarded by this: the current block of reserved file ids [nextId, idLimit).
    private long nextId;
    private long idLimit;

    /**
     * A catalog named {@code name} on {@code database} (see {@link CatalogKeySpace}), using the
     * system clock.
     */
    public static Catalog open(FDBDatabase database, String name) {
        return new Catalog(database, name, Clock.systemUTC());
    }

    public Catalog(FDBDatabase database, String name, Clock clock) {
        this.database = database;
        this.name = name;
        this.recordsPath = CatalogKeySpace.records(name);
        this.countersPath = CatalogKeySpace.counters(name);
        this.clock = clock;
        this.storeStateCache = MetaDataVersionStampStoreStateCacheFactory.newInstance().getCache(database);
        AtomicInteger n = new AtomicInteger();
        // Transaction bodies run here, off the engine's completion threads, because they block on reads.
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "wcache-catalog-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.fileType = metaData.getRecordType("File").getRecordTypeKey();
        this.extentType = metaData.getRecordType("Extent").getRecordTypeKey();
        this.policyType = metaData.getRecordType("PathPolicy").getRecordTypeKey();
        this.mountType = metaData.getRecordType("Mount").getRecordTypeKey();
        this.mountSeenType = metaData.getRecordType("MountSeen").getRecordTypeKey();
        this.taskType = metaData.getRecordType("PersistTask").getRecordTypeKey();
        this.tombstoneType = metaData.getRecordType("Tombstone").getRecordTypeKey();
        this.workerType = metaData.getRecordType("Worker").getRecordTypeKey();
        this.uploadType = metaData.getRecordType("MultipartUpload").getRecordTypeKey();
        this.partType = metaData.getRecordType("Part").getRecordTypeKey();
        try {
            clearStaleMarkers();
        } catch (RuntimeException e) {
            LOG.warn("event=catalog_marker_cleanup_failed catalog={} error={}", name, e.toString());
        }
        ensureLocationIndexReadable();
    }

    public String name() {
        return name;
    }

    /** The cache this Catalog opens its record store from (tests open the store through it). */
    FDBRecordStoreStateCache storeStateCache() {
        return storeStateCache;
    }

    @Override
    public void close() {
        executor.shutdown();
    }

    // ---------------------------------------------------------------- write sessions

    /** Opens a write session: a {@code WRITING} file with a fresh file id and a provisional generation. */
    public CompletableFuture<FileVersion> beginAsync(BeginRequest request) {
        return CompletableFuture.supplyAsync(() -> allocateIds(1)[0], executor)
                .thenCompose(id -> tx(t -> t.begin(request, id)));
    }

    public FileVersion begin(BeginRequest request) {
        long id = allocateIds(1)[0];
        return txNow(t -> t.begin(request, id));
    }

    /**
     * Reserves a fresh file id without opening a session, so a writer can frame log records with
     * it before the batch that opens the session commits ({@link CatalogOp.Begin#reservedFileId()}).
     * An id that is never used is simply skipped.
     */
    public long reserveFileId() {
        return allocateIds(1)[0];
    }

    /**
     * Every extent record, in (file id, offset) order, at most {@code limit}: a worker's restart
     * reconciliation declares them live to its log store.
     */
    public List<Extent> allExtents(int limit) {
        return txNow(t -> t.scanType(extentType, limit).stream()
                .map(m -> RecordMapping.extent(as(m, WcacheRecords.Extent.getDefaultInstance()))).toList());
    }

    /**
     * Compare-and-set of one extent record, for a log store's eviction callback: if the extent
     * stored at ({@code expected.fileId()}, {@code expected.offset()}) still names
     * {@code expected}'s worker, segment and position, it is replaced by {@code replacement}
     * (same file id and offset), or deleted when {@code replacement} is null. False when it moved
     * on or is gone.
     */
    public boolean replaceExtent(Extent expected, Extent replacement) {
        if (replacement != null && (replacement.fileId() != expected.fileId() || replacement.offset() != expected.offset())) {
            throw new WcacheException.InvalidArgument("file " + expected.fileId(),
                    "a replacement extent must keep the file id and offset");
        }
        return txNow(t -> {
            FDBStoredRecord<Message> r = t.store.loadRecord(Tuple.from(extentType, expected.fileId(), expected.offset()));
            if (r == null) {
                return false;
            }
            Extent cur = RecordMapping.extent(as(r.getRecord(), WcacheRecords.Extent.getDefaultInstance()));
            if (!cur.worker().equals(expected.worker()) || cur.segment() != expected.segment()
                    || cur.position() != expected.position()) {
                return false;
            }
            if (replacement == null) {
                t.store.deleteRecord(Tuple.from(extentType, expected.fileId(), expected.offset()));
            } else {
                t.store.saveRecord(RecordMapping.extent(replacement));
            }
            return true;
        });
    }

    // ---------------------------------------------------------------- extents by location

    /**
     * The extent that names {@code worker}'s log-store location ({@code segment}, {@code position}),
     * if any: the Catalog is the one record of which file bytes a location holds.
     */
    public Optional<Extent> extentAt(String worker, long segment, long position) {
        return txNow(t -> Optional.ofNullable(t.extentAt(worker, segment, position)));
    }

    /**
     * Extents of {@code worker} stored in {@code segment}, in position order, at most {@code limit}:
     * what must not be in a segment file that is about to be deleted.
     */
    public List<Extent> extentsInSegment(String worker, long segment, int limit) {
        return txNow(t -> {
            List<Extent> out = new ArrayList<>();
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = t.store.scanIndexRecords(
                    WcacheMetaData.EXTENT_BY_LOCATION, IndexScanType.BY_VALUE, TupleRange.allOf(Tuple.from(worker, segment)),
                    null, limit(limit))) {
                RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                while (it.hasNext()) {
                    out.add(RecordMapping.extent(as(it.next().getRecord(), WcacheRecords.Extent.getDefaultInstance())));
                }
            }
            return out;
        });
    }

    /**
     * Points the extent that names ({@code worker}, {@code segment}, {@code position}) at its copy
     * ({@code toSegment}, {@code toPosition}), in one transaction with the look-up. The extent is
     * found by its location whatever file id it belongs to now (a completed multipart upload moves
     * part extents to the new version's file id). {@code UNREFERENCED} when no extent names the
     * location; an extent of another length there is corruption of the Catalog and throws.
     */
    public LocationUpdate relocateExtent(String worker, long segment, long position, long length, long toSegment,
                                         long toPosition) {
        return txNow(t -> {
            Extent cur = t.extentAt(worker, segment, position);
            if (cur == null) {
                return LocationUpdate.UNREFERENCED;
            }
            t.requireLength(cur, length);
            t.store.saveRecord(RecordMapping.extent(new Extent(cur.fileId(), cur.offset(), cur.worker(), toSegment,
                    toPosition, cur.length(), cur.crc32c())));
            return LocationUpdate.APPLIED;
        });
    }

    /**
     * Forgets the extent that names ({@code worker}, {@code segment}, {@code position}) because
     * eviction drops those bytes; readers then fetch the file from the UFS. Only the extent of a
     * committed version that is {@code PERSISTED} may go: an extent of a session (a
     * {@code WRITE_THROUGH} write still uploading, a read-through load) or of a version not yet in
     * the UFS is {@code REFUSED}, whatever the log store believes its region to be.
     */
    public LocationUpdate dropExtent(String worker, long segment, long position, long length) {
        return txNow(t -> {
            Extent cur = t.extentAt(worker, segment, position);
            if (cur == null) {
                return LocationUpdate.UNREFERENCED;
            }
            t.requireLength(cur, length);
            WcacheRecords.File f = t.fileById(cur.fileId());
            if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED
                    || f.getPersistState() != WcacheRecords.PersistState.PERSISTED) {
                return LocationUpdate.REFUSED;
            }
            t.store.deleteRecord(Tuple.from(extentType, cur.fileId(), cur.offset()));
            return LocationUpdate.APPLIED;
        });
    }

    /**
     * Makes the location index readable in a store created before it existed (meta-data version 7):
     * the Record Layer leaves a new index on a large store write-only until it is built.
     */
    private void ensureLocationIndexReadable() {
        boolean readable = txNow(t -> t.store.isIndexReadable(WcacheMetaData.EXTENT_BY_LOCATION));
        if (readable) {
            return;
        }
        LOG.info("event=index_build_started catalog={} index={}", name, WcacheMetaData.EXTENT_BY_LOCATION);
        try (com.apple.foundationdb.record.provider.foundationdb.OnlineIndexer indexer =
                     com.apple.foundationdb.record.provider.foundationdb.OnlineIndexer.newBuilder()
                             .setDatabase(database)
                             .setRecordStoreBuilder(FDBRecordStore.newBuilder().setMetaDataProvider(metaData)
                                     .setKeySpacePath(recordsPath))
                             .setIndex(WcacheMetaData.EXTENT_BY_LOCATION)
                             .build()) {
            indexer.buildIndex();
        }
        LOG.info("event=index_build_done catalog={} index={}", name, WcacheMetaData.EXTENT_BY_LOCATION);
    }

    /** Opens a write session with an id from {@link #reserveFileId()}. */
    public CompletableFuture<FileVersion> beginAsync(BeginRequest request, long reservedFileId) {
        return tx(t -> t.begin(request, t.checkReserved(reservedFileId)));
    }

    /** Records where bytes of a session live; refreshes its last-write time. */
    public CompletableFuture<FileVersion> addExtentsAsync(SessionRef session, List<Extent> extents) {
        return tx(t -> t.addExtents(session, extents));
    }

    public FileVersion addExtents(SessionRef session, List<Extent> extents) {
        return txNow(t -> t.addExtents(session, extents));
    }

    /**
     * Makes a session the current version of its path, returning the version it superseded (whose
     * extents are deleted from metadata and returned for reclamation) and queueing a persist task
     * for {@code WRITE_BACK}. The request's size must equal the bytes the extents cover, from 0
     * without gaps.
     */
    public CompletableFuture<CommitResult> commitAsync(SessionRef session, CommitRequest request) {
        return tx(t -> t.commit(session, request));
    }

    public CommitResult commit(SessionRef session, CommitRequest request) {
        return txNow(t -> t.commit(session, request));
    }

    /** Drops a session that has not committed, returning its extents for reclamation. */
    public CompletableFuture<AbortResult> abortAsync(SessionRef session) {
        return tx(t -> t.abort(session));
    }

    public AbortResult abort(SessionRef session) {
        return txNow(t -> t.abort(session));
    }

    /** The session's current record, if it is still open or has committed and is still current. */
    public Optional<FileVersion> session(SessionRef session) {
        return txNow(t -> Optional.ofNullable(t.loadFile(session.path(), session.fileId())).map(RecordMapping::file));
    }

    /**
     * Applies a batch of operations in one transaction, in order, and returns one outcome per
     * operation. An operation refused by a precondition writes nothing and does not affect the
     * others; later operations see the writes of earlier ones. A batch is applied at most once even
     * when the engine answers its commit with {@code commit_unknown_result} (see {@link AppliedBatch}).
     */
    public CompletableFuture<List<OpOutcome>> applyAsync(List<CatalogOp> ops) {
        return CompletableFuture.supplyAsync(() -> new AppliedBatch(ops, freshIds(ops)), executor)
                .thenCompose(batch -> tx(batch::attempt).whenComplete((r, e) -> batch.finished(e == null)));
    }

    public List<OpOutcome> apply(List<CatalogOp> ops) {
        long start = System.nanoTime();
        AppliedBatch batch = new AppliedBatch(ops, freshIds(ops));
        boolean ok = false;
        try {
            List<OpOutcome> out = txNow(batch::attempt);
            ok = true;
            long end = System.nanoTime();
            Stages.record(Stage.ENGINE_COMMIT, end - batch.bodyEndNanos);
            Stages.record(Stage.CATALOG_TXN, end - start);
            return out;
        } finally {
            batch.finished(ok);
        }
    }

    /**
     * One batch given to {@link #apply}, across the attempts of its transaction. The engine may
     * answer a commit with {@code commit_unknown_result} (1021) although it committed; the retry
     * must then not apply the batch a second time (every op would fail: ids in use, sessions
     * already committed) but answer what the landed attempt did. So each attempt writes a marker
     * key unique to the batch holding its attempt number, and first reads it: present means an
     * earlier attempt landed, whose outcomes this object kept. Markers of acknowledged batches are
     * cleared by later batches (blind clears, no conflicts); a marker left by a crash is cleared
     * after {@link #MARKER_TTL} when the Catalog is opened.
     */
    private final class AppliedBatch {
        private final List<CatalogOp> ops;
        private final long[] ids;
        private final Tuple marker;
        private final Map<Integer, List<OpOutcome>> byAttempt = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<Tuple> clearing;
        private final AtomicInteger attempts = new AtomicInteger();
        /** When the last attempt's body ended: the rest of the transaction is the engine's commit. */
        private volatile long bodyEndNanos;

        AppliedBatch(List<CatalogOp> ops, long[] ids) {
            this.ops = ops;
            this.ids = ids;
            this.marker = Tuple.from(MARKER_PREFIX, clock.millis(), java.util.concurrent.ThreadLocalRandom.current().nextLong());
            this.clearing = takeMarkersToClear();
        }

        List<OpOutcome> attempt(Tx t) {
            int attempt = attempts.incrementAndGet();
            byte[] key = counters(t.ctx).pack(marker);
            byte[] landed = t.ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, t.ctx.ensureActive().get(key));
            if (landed != null) {
                int which = (int) Tuple.fromBytes(landed).getLong(0);
                List<OpOutcome> out = byAttempt.get(which);
                if (out == null) {
                    throw new WcacheException.Unavailable("metadata", "batch marker names attempt " + which
                            + " whose outcomes are unknown", null);
                }
                LOG.warn("event=catalog_batch_already_committed catalog={} ops={} attempt={} landed_attempt={}",
                        name, ops.size(), attempt, which);
                bodyEndNanos = System.nanoTime();
                return out;
            }
            List<OpOutcome> out = t.apply(ops, ids);
            t.ctx.ensureActive().set(key, Tuple.from(attempt).pack());
            for (Tuple old : clearing) {
                t.ctx.ensureActive().clear(counters(t.ctx).pack(old));
            }
            byAttempt.put(attempt, out);
            bodyEndNanos = System.nanoTime();
            return out;
        }

        /** The batch is answered: its marker can go with a later batch; markers it failed to clear are kept for one. */
        void finished(boolean acknowledged) {
            if (acknowledged) {
                markersToClear.add(marker);
            } else {
                markersToClear.addAll(clearing);
            }
        }
    }

    private List<Tuple> takeMarkersToClear() {
        List<Tuple> out = new ArrayList<>();
        Tuple t;
        while (out.size() < MARKERS_CLEARED_PER_BATCH && (t = markersToClear.poll()) != null) {
            out.add(t);
        }
        return out;
    }

    /** Clears batch markers older than {@link #MARKER_TTL}: those of batches answered before a crash. */
    private void clearStaleMarkers() {
        long cutoff = clock.millis() - MARKER_TTL.toMillis();
        database.run(ctx -> {
            Subspace c = counters(ctx);
            ctx.ensureActive().clear(c.pack(Tuple.from(MARKER_PREFIX)), c.pack(Tuple.from(MARKER_PREFIX, cutoff)));
            return null;
        });
    }

    /** Batch markers still stored (tests). */
    int storedBatchMarkers() {
        return database.run(ctx -> {
            Subspace c = counters(ctx);
            return ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                    ctx.ensureActive().getRange(c.range(Tuple.from(MARKER_PREFIX))).asList()).size();
        });
    }

    /** File ids for the batch's opens that did not reserve one. */
    private long[] freshIds(List<CatalogOp> ops) {
        return allocateIds((int) ops.stream()
                .filter(op -> op instanceof CatalogOp.Begin b && b.reservedFileId() == 0).count());
    }

    // ---------------------------------------------------------------- reads

    /** The committed version of a path, if any. */
    public CompletableFuture<Optional<FileVersion>> lookupAsync(NamespacePath path) {
        return tx(t -> t.lookup(path));
    }

    public Optional<FileVersion> lookup(NamespacePath path) {
        return txNow(t -> t.lookup(path));
    }

    /** The committed version of a path with its extents, read together. */
    public CompletableFuture<Optional<FileLayout>> layoutAsync(NamespacePath path) {
        return tx(t -> t.layout(path));
    }

    public Optional<FileLayout> layout(NamespacePath path) {
        return txNow(t -> t.layout(path));
    }

    /** The extents of a file (session or committed), in offset order. */
    /**
     * Marks the committed version {@code ref} damaged: its cached bytes failed their checksum and
     * the UFS does not hold it. The version stays the path's committed version (it is neither
     * rolled back nor replaced by an older one, and nothing is deleted from the UFS); its extent
     * records are removed (the bytes are unusable) and returned so the caller can release them.
     * Empty when {@code ref} is not a committed version any more, or is persisted.
     */
    public Optional<List<Extent>> markDamaged(SessionRef ref, String damage) {
        if (damage == null || damage.isEmpty()) {
            throw new IllegalArgumentException("a damage description is required");
        }
        return txNow(t -> t.markDamaged(ref, damage));
    }

    /**
     * {@link #markDamaged(SessionRef, String)} of the committed version with file id {@code fileId}
     * (as the log store knows a record: by its file id). Empty when no committed, unpersisted
     * version has that id (a part of a multipart upload, a session, a persisted version).
     */
    public Optional<Map.Entry<FileVersion, List<Extent>>> markDamaged(long fileId, String damage) {
        if (damage == null || damage.isEmpty()) {
            throw new IllegalArgumentException("a damage description is required");
        }
        return txNow(t -> {
            WcacheRecords.File f = t.fileById(fileId);
            if (f == null) {
                return Optional.empty();
            }
            FileVersion v = RecordMapping.file(f);
            return t.markDamaged(v.ref(), damage).map(ext -> Map.entry(v, ext));
        });
    }

    /**
     * Replaces the tags of the committed version of {@code path} (S3's PutObjectTagging; an empty
     * map deletes them). The version's bytes, generation and persist state are unchanged. Empty when
     * the path has no committed version in the catalog.
     */
    public CompletableFuture<Optional<FileVersion>> setTagsAsync(NamespacePath path, Map<String, String> tags) {
        return tx(t -> {
            WcacheRecords.File f = t.committed(t.filesAt(path.toString()));
            if (f == null) {
                return Optional.<FileVersion>empty();
            }
            WcacheRecords.File updated = f.toBuilder().clearTags()
                    .addAllTags(RecordMapping.keyValues(tags)).build();
            t.store.saveRecord(updated);
            return Optional.of(RecordMapping.file(updated));
        });
    }

    public List<Extent> extents(long fileId) {
        return txNow(t -> t.extents(fileId));
    }

    /** The pending-delete tombstone of a path, if any. */
    public Optional<Tombstone> tombstone(NamespacePath path) {
        return txNow(t -> Optional.ofNullable(t.tombstone(path.toString())).map(RecordMapping::tombstone));
    }

    /** The committed version with its extents, or the pending delete, or nothing, in one transaction. */
    public CompletableFuture<PathStatus> statusAsync(NamespacePath path) {
        return tx(t -> t.status(path));
    }

    public PathStatus status(NamespacePath path) {
        return txNow(t -> t.status(path));
    }

    /**
     * Pending deletes of paths starting with {@code prefix} and after {@code startAfter}, in path
     * order, at most {@code limit}: a listing that merges the UFS listing hides these paths.
     */
    public List<Tombstone> tombstones(String prefix, String startAfter, int limit) {
        return txNow(t -> {
            String low = startAfter != null && NamespacePath.compareCodePoints(startAfter, prefix) >= 0 ? startAfter : prefix;
            boolean exclusive = low.equals(startAfter) && !startAfter.isEmpty();
            String high = prefix.isEmpty() ? null : successor(prefix);
            TupleRange range = new TupleRange(Tuple.from(tombstoneType, low),
                    high == null ? Tuple.from(tombstoneType) : Tuple.from(tombstoneType, high),
                    exclusive ? EndpointType.RANGE_EXCLUSIVE : EndpointType.RANGE_INCLUSIVE,
                    high == null ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE);
            return t.scan(range, limit).stream()
                    .map(m -> RecordMapping.tombstone(as(m, WcacheRecords.Tombstone.getDefaultInstance()))).toList();
        });
    }

    /** One page of committed paths; tombstoned and writing paths are not listed. */
    public CompletableFuture<ListPage> listAsync(ListRequest request) {
        return tx(t -> t.list(request));
    }

    public ListPage list(ListRequest request) {
        return txNow(t -> t.list(request));
    }

    // ---------------------------------------------------------------- delete

    /**
     * Deletes a path: its committed version (if metadata has one) is removed and its extents
     * returned for reclamation, and a tombstone and a UFS-delete task are left until the persister
     * has deleted the UFS object. Sessions still writing the path are untouched; a later commit
     * makes the path live again.
     */
    public CompletableFuture<DeleteResult> deleteAsync(NamespacePath path) {
        return tx(t -> t.delete(path));
    }

    public DeleteResult delete(NamespacePath path) {
        return txNow(t -> t.delete(path));
    }

    /**
     * A synchronous write ({@code NO_CACHE}) has just replaced the path's UFS object: whatever the
     * Catalog holds of the path is older and is dropped in one transaction, so that neither a read
     * (the cached version) nor the persister (a pending upload or delete) can bring the older state
     * back: the committed version and its extents (returned for reclamation), the persist task and
     * the tombstone. Sessions still writing the path are untouched.
     */
    public UfsReplacement replacedInUfs(NamespacePath path) {
        return txNow(t -> {
            String p = path.toString();
            WcacheRecords.File current = t.committed(t.filesAt(p));
            Optional<FileVersion> dropped = Optional.empty();
            List<Extent> ext = List.of();
            if (current != null) {
                FileVersion old = RecordMapping.file(current);
                ext = t.deleteExtents(current.getFileId());
                t.store.deleteRecord(Tuple.from(fileType, p, current.getFileId()));
                t.account(old, -1);
                dropped = Optional.of(old);
            }
            t.store.deleteRecord(Tuple.from(tombstoneType, p));
            boolean task = t.store.deleteRecord(Tuple.from(taskType, p));
            return new UfsReplacement(dropped, ext, task);
        });
    }

    // ---------------------------------------------------------------- multipart uploads

    /**
     * Starts a multipart upload of {@code request.path()} with a fresh upload id. Parts are stored
     * as their own file ids ({@link #putPart}); {@link #completeUpload} assembles them into one
     * committed version.
     */
    public MultipartUploadInfo createUpload(BeginRequest request) {
        if (!request.policy().cachesWrites()) {
            throw new WcacheException.InvalidArgument(request.path().toString(),
                    "policy " + request.policy() + " caches no writes; no multipart upload is opened");
        }
        if (request.path().depth() < 2) {
            throw new WcacheException.InvalidPath(request.path().toString(), "a file must be inside a mount: /<mount>/<key>");
        }
        String uploadId = java.util.UUID.randomUUID().toString().replace("-", "");
        return txNow(t -> {
            WcacheRecords.MultipartUpload u = WcacheRecords.MultipartUpload.newBuilder().setUploadId(uploadId)
                    .setPath(request.path().toString()).setCreatedTimeMs(t.now).setOwnerWorker(request.ownerWorker())
                    .setContentType(request.contentType()).addAllUserMetadata(RecordMapping.keyValues(request.userMetadata()))
                    .addAllStandardHeaders(RecordMapping.keyValues(request.standardHeaders()))
                    .addAllTags(RecordMapping.keyValues(request.tags()))
                    .setPolicy(request.policy().name()).setWriteReplicas(request.writeReplicas())
                    .addAllReplicaWorkers(request.replicaWorkers()).build();
            t.store.saveRecord(u);
            return RecordMapping.upload(u);
        });
    }

    /** The upload, if it is still in progress. */
    public Optional<MultipartUploadInfo> upload(String uploadId) {
        return txNow(t -> Optional.ofNullable(t.upload(uploadId)).map(RecordMapping::upload));
    }

    /** Uploads in progress whose path starts with {@code prefix}, by path then upload id, at most {@code limit}. */
    public List<MultipartUploadInfo> uploads(String prefix, int limit) {
        return txNow(t -> t.scanType(uploadType, Integer.MAX_VALUE).stream()
                .map(m -> as(m, WcacheRecords.MultipartUpload.getDefaultInstance()))
                .filter(u -> !u.hasCompletedTimeMs())
                .map(RecordMapping::upload)
                .filter(u -> u.path().toString().startsWith(prefix))
                .sorted(java.util.Comparator.comparing((MultipartUploadInfo u) -> u.path())
                        .thenComparing(MultipartUploadInfo::uploadId))
                .limit(limit).toList());
    }

    /**
     * Records an uploaded part whose bytes were written under {@code fileId} (from
     * {@link #reserveFileId()}), replacing an earlier upload of the same part number; returns the
     * replaced part's extents for reclamation. The extents must cover {@code [0, size)}.
     */
    public List<Extent> putPart(String uploadId, int partNumber, long fileId, List<Extent> extents, long size, String etag) {
        if (partNumber < 1 || partNumber > 10_000) {
            throw new WcacheException.InvalidArgument(uploadId, "part number " + partNumber + " is out of range 1..10000");
        }
        return txNow(t -> t.putPart(uploadId, partNumber, fileId, extents, size, etag));
    }

    /**
     * Every recorded part of every upload in progress, by upload id then part number, at most
     * {@code limit}: a worker's restart reconciliation keeps their extents live.
     */
    public List<PartInfo> allParts(int limit) {
        return txNow(t -> t.scanType(partType, limit).stream()
                .map(m -> RecordMapping.part(as(m, WcacheRecords.Part.getDefaultInstance()))).toList());
    }

    /** The uploaded parts in part-number order. */
    public List<PartInfo> parts(String uploadId) {
        return txNow(t -> {
            t.requireUpload(uploadId);
            return t.parts(uploadId).stream().map(RecordMapping::part).toList();
        });
    }

    /**
     * Assembles the named parts, in ascending part order and with matching ETags, into one
     * version of the upload's path and commits it exactly like {@link #commit} (superseding the
     * current version, queueing a persist task for {@code WRITE_BACK}). Parts not named are
     * discarded. The upload is gone afterwards.
     *
     * @throws WcacheException.InvalidArgument for an unknown part, a wrong ETag or a wrong order
     * @throws WcacheException.NotFound for an unknown upload
     */
    public CompleteUploadResult completeUpload(String uploadId, List<CompletedPart> parts, String etag, long crc32c) {
        long fileId = allocateIds(1)[0];
        return txNow(t -> t.completeUpload(uploadId, parts, etag, crc32c, fileId));
    }

    /**
     * Forgets part {@code partNumber} of an upload if it is still the one stored under
     * {@code fileId} (restart recovery, when the part's bytes did not survive); returns the extents
     * it had, for reclamation, or nothing when the part moved on or is gone.
     */
    public List<Extent> dropPart(String uploadId, int partNumber, long fileId) {
        return txNow(t -> {
            WcacheRecords.Part p = t.part(uploadId, partNumber);
            if (p == null || p.getFileId() != fileId) {
                return List.<Extent>of();
            }
            t.store.deleteRecord(Tuple.from(partType, uploadId, partNumber));
            return t.deleteExtents(fileId);
        });
    }

    /**
     * The record of a completed upload, while it is kept ({@link #forgetCompletedUploads}): a
     * retried completion is answered from it.
     */
    public Optional<CompletedUpload> completedUpload(String uploadId) {
        return txNow(t -> {
            FDBStoredRecord<Message> r = t.store.loadRecord(Tuple.from(uploadType, uploadId));
            if (r == null) {
                return Optional.<CompletedUpload>empty();
            }
            WcacheRecords.MultipartUpload u = as(r.getRecord(), WcacheRecords.MultipartUpload.getDefaultInstance());
            if (!u.hasCompletedTimeMs()) {
                return Optional.<CompletedUpload>empty();
            }
            List<CompletedPart> parts = new ArrayList<>();
            for (String p : u.getCompletedPartsList()) {
                int colon = p.indexOf(':');
                parts.add(new CompletedPart(Integer.parseInt(p.substring(0, colon)), p.substring(colon + 1)));
            }
            return Optional.of(new CompletedUpload(uploadId, NamespacePath.of(u.getPath()), u.getCompletedFileId(),
                    u.getCompletedEtag(), u.getCompletedSize(), parts, Instant.ofEpochMilli(u.getCompletedTimeMs())));
        });
    }

    /**
     * Uploads in progress with no activity (creation or a recorded part) since {@code before}:
     * the orphans the sweep aborts. At most {@code limit}, oldest activity first.
     */
    public List<MultipartUploadInfo> uploadsIdleSince(Instant before, int limit) {
        long cutoff = before.toEpochMilli();
        return txNow(t -> t.scanType(uploadType, Integer.MAX_VALUE).stream()
                .map(m -> as(m, WcacheRecords.MultipartUpload.getDefaultInstance()))
                .filter(u -> !u.hasCompletedTimeMs() && Math.max(u.getCreatedTimeMs(), u.getLastPartTimeMs()) < cutoff)
                .sorted(java.util.Comparator.comparingLong(u -> Math.max(u.getCreatedTimeMs(), u.getLastPartTimeMs())))
                .limit(limit).map(RecordMapping::upload).toList());
    }

    /** Deletes the records of uploads completed before {@code before}, at most {@code limit}; the number deleted. */
    public int forgetCompletedUploads(Instant before, int limit) {
        long cutoff = before.toEpochMilli();
        return txNow(t -> {
            int n = 0;
            for (Message m : t.scanType(uploadType, Integer.MAX_VALUE)) {
                WcacheRecords.MultipartUpload u = as(m, WcacheRecords.MultipartUpload.getDefaultInstance());
                if (u.hasCompletedTimeMs() && u.getCompletedTimeMs() < cutoff && n < limit) {
                    t.store.deleteRecord(Tuple.from(uploadType, u.getUploadId()));
                    n++;
                }
            }
            return n;
        });
    }

    /**
     * Abandons an upload, in the same transaction as the check, if it has had no activity since
     * {@code before} (an orphan); returns its parts' extents for reclamation, or empty when the
     * upload got a part meanwhile or is gone.
     */
    public Optional<List<Extent>> abortUploadIfIdleSince(String uploadId, Instant before) {
        return txNow(t -> {
            WcacheRecords.MultipartUpload u = t.upload(uploadId);
            if (u == null || Math.max(u.getCreatedTimeMs(), u.getLastPartTimeMs()) >= before.toEpochMilli()) {
                return Optional.<List<Extent>>empty();
            }
            return Optional.of(t.abortUpload(uploadId));
        });
    }

    /** Abandons an upload and returns every part's extents for reclamation. */
    public List<Extent> abortUpload(String uploadId) {
        return txNow(t -> {
            t.requireUpload(uploadId);
            return t.abortUpload(uploadId);
        });
    }

    // ---------------------------------------------------------------- persist queue

    /** Tasks whose next attempt is due at {@code now}, oldest first. */
    public List<PersistTask> dueTasks(Instant now, int limit) {
        return txNow(t -> t.dueTasks(now.toEpochMilli(), limit).stream().map(RecordMapping::task).toList());
    }

    /**
     * Claims up to {@code limit} due tasks for {@code owner} until {@code now + lease}: they are not
     * due again before the lease expires, and an upload's file becomes {@code PERSISTING}.
     */
    public CompletableFuture<List<PersistTask>> claimTasksAsync(String owner, Duration lease, int limit) {
        return tx(t -> t.claim(owner, lease, limit));
    }

    public List<PersistTask> claimTasks(String owner, Duration lease, int limit) {
        return txNow(t -> t.claim(owner, lease, limit));
    }

    /**
     * Records that a claimed task's UFS work is done. An upload marks the file {@code PERSISTED},
     * and moves its bytes from pinned to evictable, only if its generation is still the path's
     * current one; otherwise the outcome is {@code SUPERSEDED} and the newer task stays queued.
     */
    public CompletableFuture<PersistOutcome> markPersistedAsync(PersistTask task) {
        return tx(t -> t.markPersisted(task));
    }

    public PersistOutcome markPersisted(PersistTask task) {
        return txNow(t -> t.markPersisted(task));
    }

    /**
     * Records a failed attempt: the task's attempt count grows, it is due again at
     * {@code nextAttempt}, and {@code error} is kept as its last error. Empty if the task was
     * superseded meanwhile.
     */
    public CompletableFuture<Optional<PersistTask>> rescheduleAsync(PersistTask task, Instant nextAttempt, String error) {
        return tx(t -> t.reschedule(task, nextAttempt, error));
    }

    public Optional<PersistTask> reschedule(PersistTask task, Instant nextAttempt, String error) {
        return txNow(t -> t.reschedule(task, nextAttempt, error));
    }

    /** Every pending task in path order (for {@code wcadm async-persist list}), at most {@code limit}. */
    public List<PersistTask> pendingTasks(int limit) {
        return txNow(t -> t.scanType(taskType, limit).stream()
                .map(m -> RecordMapping.task(as(m, WcacheRecords.PersistTask.getDefaultInstance()))).toList());
    }

    /**
     * Counts over the whole queue (one scan of the task records, so its cost grows with the queue;
     * meant for operators, not for a hot path).
     */
    public PersistQueueStats persistQueueStats() {
        return txNow(t -> {
            long pending = 0;
            long leased = 0;
            long retrying = 0;
            long bytes = 0;
            long failed = 0;
            long oldest = Long.MAX_VALUE;
            for (Message m : t.scanType(taskType, Integer.MAX_VALUE)) {
                WcacheRecords.PersistTask task = as(m, WcacheRecords.PersistTask.getDefaultInstance());
                pending++;
                boolean isLeased = task.hasLeaseExpiryMs() && task.getLeaseExpiryMs() > t.now;
                if (isLeased) {
                    leased++;
                } else if (task.getAttempts() > 0) {
                    retrying++;
                }
                if (task.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                    bytes += task.getSize();
                }
                failed += task.getAttempts();
                oldest = Math.min(oldest, task.getEnqueuedTimeMs());
            }
            return new PersistQueueStats(pending, leased, retrying, bytes, failed,
                    oldest == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest)));
        });
    }

    // ---------------------------------------------------------------- sweeps

    /** Write sessions whose last write is older than {@code lastWriteBefore} (dangling), oldest first. */
    public List<FileVersion> idleSessions(Instant lastWriteBefore, int limit) {
        return txNow(t -> t.sessionsBefore(WcacheMetaData.FILE_BY_STATE_LAST_WRITE, lastWriteBefore, limit));
    }

    /** Write sessions created before {@code createdBefore} (orphans), oldest first. */
    public List<FileVersion> sessionsCreatedBefore(Instant createdBefore, int limit) {
        return txNow(t -> t.sessionsBefore(WcacheMetaData.FILE_BY_STATE_CREATED, createdBefore, limit));
    }

    // ---------------------------------------------------------------- path config and mounts

    /** Adds or replaces the rule for its prefix. */
    public void putPathRule(PathRule rule) {
        txNow(t -> {
            t.store.saveRecord(WcacheRecords.PathPolicy.newBuilder().setPrefix(rule.prefix().toString())
                    .setPolicy(rule.policy().name()).setWriteReplicas(rule.writeReplicas()).setUpdatedTimeMs(t.now).build());
            t.bumpConfigVersion();
            return null;
        });
    }

    /** Removes the rule for {@code prefix}; false if there was none. */
    public boolean removePathRule(NamespacePath prefix) {
        return txNow(t -> {
            boolean removed = t.store.deleteRecord(Tuple.from(policyType, prefix.toString()));
            if (removed) {
                t.bumpConfigVersion();
            }
            return removed;
        });
    }

    public List<PathRule> pathRules() {
        return txNow(t -> t.scanType(policyType, Integer.MAX_VALUE).stream().map(m -> {
            WcacheRecords.PathPolicy p = as(m, WcacheRecords.PathPolicy.getDefaultInstance());
            return new PathRule(NamespacePath.of(p.getPrefix()), WritePolicy.valueOf(p.getPolicy()), p.getWriteReplicas());
        }).toList());
    }

    /** {@code base} (global default, write-cache switch) with the rules stored in metadata. */
    public PathConfig pathConfig(PathConfig base) {
        return PathConfig.of(base.defaultPolicy(), base.defaultWriteReplicas(), base.writeCacheEnabled(), pathRules());
    }

    /** @throws WcacheException.AlreadyExists if a mount with that name exists */
    public void addMount(Mount mount) {
        txNow(t -> {
            Tuple pk = Tuple.from(mountType, mount.path().toString());
            if (t.store.loadRecord(pk) != null) {
                throw new WcacheException.AlreadyExists(mount.path().toString(), "mount " + mount.path() + " already exists");
            }
            t.store.saveRecord(WcacheRecords.Mount.newBuilder().setPath(mount.path().toString())
                    .setUfsUri(mount.ufsUri().toString()).addAllOptions(RecordMapping.keyValues(mount.options()))
                    .setCreatedTimeMs(t.now).build());
            t.store.deleteRecord(Tuple.from(mountSeenType, mount.path().toString()));
            t.bumpConfigVersion();
            return null;
        });
    }

    /** @throws WcacheException.NotFound if there is no such mount */
    public void removeMount(String mountName) {
        txNow(t -> {
            t.store.deleteRecord(Tuple.from(mountSeenType, "/" + mountName));
            if (!t.store.deleteRecord(Tuple.from(mountType, "/" + mountName))) {
                throw new WcacheException.NotFound(mountName, "no mount (bucket) named '" + mountName + "'");
            }
            t.bumpConfigVersion();
            return null;
        });
    }

    /**
     * A counter that grows with every path-rule or mount change: workers poll it (one key read)
     * and reload the path config and mount table only when it moved.
     */
    public long configVersion() {
        return txNow(t -> t.readCounterKey(Tuple.from("configVersion")));
    }

    /**
     * The creation times of the named mounts (bucket creation dates), in one transaction: a Mount
     * record's creation time, or else when the mount was first seen here (a configured mount),
     * recorded now if it was never seen before and kept from then on. A Mount record from before
     * creation times were kept gets the time it is first asked about.
     */
    public Map<String, Instant> mountCreationTimes(java.util.Collection<String> mountNames) {
        return txNow(t -> {
            Map<String, Instant> out = new java.util.TreeMap<>();
            for (String name : mountNames) {
                String path = "/" + name;
                FDBStoredRecord<Message> m = t.store.loadRecord(Tuple.from(mountType, path));
                if (m != null) {
                    WcacheRecords.Mount r = as(m.getRecord(), WcacheRecords.Mount.getDefaultInstance());
                    if (r.getCreatedTimeMs() <= 0) {
                        r = r.toBuilder().setCreatedTimeMs(t.now).build();
                        t.store.saveRecord(r);
                    }
                    out.put(name, Instant.ofEpochMilli(r.getCreatedTimeMs()));
                    continue;
                }
                FDBStoredRecord<Message> seen = t.store.loadRecord(Tuple.from(mountSeenType, path));
                long ms;
                if (seen == null) {
                    ms = t.now;
                    t.store.saveRecord(WcacheRecords.MountSeen.newBuilder().setPath(path).setFirstSeenTimeMs(ms).build());
                } else {
                    ms = as(seen.getRecord(), WcacheRecords.MountSeen.getDefaultInstance()).getFirstSeenTimeMs();
                }
                out.put(name, Instant.ofEpochMilli(ms));
            }
            return out;
        });
    }

    public MountTable mountTable() {
        return txNow(t -> MountTable.of(t.scanType(mountType, Integer.MAX_VALUE).stream().map(m -> {
            WcacheRecords.Mount r = as(m, WcacheRecords.Mount.getDefaultInstance());
            return new Mount(NamespacePath.of(r.getPath()), URI.create(r.getUfsUri()), RecordMapping.map(r.getOptionsList()));
        }).toList()));
    }

    // ---------------------------------------------------------------- workers and space

    /** Registers a worker or refreshes its heartbeat; its start time is kept from the first call. */
    public WorkerInfo heartbeat(String workerId, String address, long capacityBytes) {
        return txNow(t -> {
            FDBStoredRecord<Message> old = t.store.loadRecord(Tuple.from(workerType, workerId));
            long started = old == null ? t.now : as(old.getRecord(), WcacheRecords.Worker.getDefaultInstance()).getStartedTimeMs();
            WcacheRecords.Worker w = WcacheRecords.Worker.newBuilder().setId(workerId).setAddress(address)
                    .setCapacityBytes(capacityBytes).setHeartbeatTimeMs(t.now).setStartedTimeMs(started).build();
            t.store.saveRecord(w);
            return RecordMapping.worker(w);
        });
    }

    public List<WorkerInfo> workers() {
        return txNow(t -> t.scanType(workerType, Integer.MAX_VALUE).stream()
                .map(m -> RecordMapping.worker(as(m, WcacheRecords.Worker.getDefaultInstance()))).toList());
    }

    /** Workers whose last heartbeat is within {@code timeout} of now. */
    public List<WorkerInfo> liveWorkers(Duration timeout) {
        Instant cutoff = clock.instant().minus(timeout);
        return workers().stream().filter(w -> !w.heartbeatTime().isBefore(cutoff)).toList();
    }

    public SpaceUsage spaceUsage(String worker) {
        return txNow(t -> new SpaceUsage(t.readCounter(worker, "pinned"), t.readCounter(worker, "evictable")));
    }

    /** Adjusts a worker's counters, e.g. when its log store evicts persisted bytes. */
    public CompletableFuture<Void> adjustSpaceAsync(String worker, long pinnedDelta, long evictableDelta) {
        return tx(t -> {
            t.addSpace(worker, pinnedDelta, evictableDelta);
            return null;
        });
    }

    public void adjustSpace(String worker, long pinnedDelta, long evictableDelta) {
        sync(adjustSpaceAsync(worker, pinnedDelta, evictableDelta));
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * A session's last-write time moves in steps of at least this much: the dangling-session sweep
     * works in seconds or more, and each step rewrites the session record.
     */
    static final long LAST_WRITE_GRANULARITY_MS = 100;

    private <T> CompletableFuture<T> tx(Function<Tx, T> body) {
        CompletableFuture<T> f = database.runAsync(ctx -> store(ctx).createOrOpenAsync()
                .thenApplyAsync(store -> body.apply(new Tx(ctx, store)), executor));
        return f.handle((v, e) -> {
            if (e != null) {
                throw mapError(e);
            }
            return v;
        });
    }

    /**
     * Runs a transaction on the calling thread and waits for it: what a caller that blocks anyway
     * wants, without the two thread hand-offs of {@link #tx} (to the engine, then to the Catalog's
     * pool). Retries as {@code tx} does.
     */
    private <T> T txNow(Function<Tx, T> body) {
        try {
            return database.run(ctx -> body.apply(new Tx(ctx, store(ctx).createOrOpen())));
        } catch (RuntimeException e) {
            throw mapError(e);
        }
    }

    /**
     * The record store in a transaction. Its state (header, index states) is cached across
     * transactions and checked against the database's meta-data version stamp, which the Record
     * Layer bumps whenever a cacheable store's state changes: an open is then one snapshot read of
     * that key instead of reading the header and every index state. Stores are made cacheable on
     * their first open.
     */
    private FDBRecordStore.Builder store(FDBRecordContext ctx) {
        return FDBRecordStore.newBuilder().setMetaDataProvider(metaData).setContext(ctx).setKeySpacePath(recordsPath)
                .setStoreStateCache(storeStateCache)
                .setStateCacheabilityOnOpen(FDBRecordStore.StateCacheabilityOnOpen.CACHEABLE);
    }

    private static <T> T sync(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw mapError(e);
        }
    }

    static RuntimeException mapError(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            if (x instanceof WcacheException w) {
                return w;
            }
        }
        Throwable root = FailureCause.of(e);
        return new WcacheException.Unavailable("metadata", "metadata transaction failed: " + root, root);
    }

    private synchronized long[] allocateIds(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            if (nextId >= idLimit) {
                long start = database.run(ctx -> {
                    byte[] key = counters(ctx).pack(Tuple.from("fileIdBlock"));
                    byte[] value = ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, ctx.ensureActive().get(key));
                    long first = value == null ? 1 : Tuple.fromBytes(value).getLong(0);
                    ctx.ensureActive().set(key, Tuple.from(first + ID_BLOCK).pack());
                    return first;
                });
                nextId = start;
                idLimit = start + ID_BLOCK;
                LOG.debug("event=file_id_block_reserved catalog={} first={} count={}", name, start, ID_BLOCK);
            }
            ids[i] = nextId++;
        }
        return ids;
    }

    private Subspace counters(FDBRecordContext ctx) {
        Subspace s = counters;
        if (s == null) {
            s = countersPath.toSubspace(ctx);
            counters = s;
        }
        return s;
    }

    private static ScanProperties limit(int n) {
        return new ScanProperties(ExecuteProperties.newBuilder().setReturnedRowLimit(n).build());
    }

    @SuppressWarnings("unchecked")
    private static <M extends Message> M as(Message m, M defaultInstance) {
        if (defaultInstance.getClass().isInstance(m)) {
            return (M) m;
        }
        try {
            return (M) defaultInstance.getParserForType().parseFrom(m.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new WcacheException.Corruption("metadata", "stored record does not parse: " + e.getMessage());
        }
    }

    private static String stripQuotes(String etag) {
        String e = etag == null ? "" : etag.trim();
        return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
    }

    /** Listing position: the last key handed out, a file path or a common prefix. */
    private static String encodeToken(boolean commonPrefix, String key) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(((commonPrefix ? "P" : "F") + key).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The smallest string greater than every string that starts with {@code s}, in code-point
     * (UTF-8 byte) order; null if there is none.
     */
    static String successor(String s) {
        int[] cps = s.codePoints().toArray();
        int n = cps.length;
        while (n > 0) {
            int c = cps[n - 1];
            if (c < Character.MAX_CODE_POINT) {
                int next = c + 1;
                if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
                    next = Character.MAX_SURROGATE + 1;
                }
                cps[n - 1] = next;
                return new String(cps, 0, n);
            }
            n--;
        }
        return null;
    }

    /** One transaction's view: the opened store and the time the attempt started. */
    private final class Tx {
        final FDBRecordContext ctx;
        final FDBRecordStore store;
        final long now;

        /**
         * Sessions opened by this transaction whose commit comes later in the same batch: their
         * WRITING record is kept here instead of being written and then rewritten (and its six
         * index entries with it); one still here when the batch ends (its commit was refused) is
         * written then, so the batch leaves the same records as op-by-op application would.
         */
        final Map<Long, WcacheRecords.File> deferred = new HashMap<>();

        Tx(FDBRecordContext ctx, FDBRecordStore store) {
            this.ctx = ctx;
            this.store = store;
            this.now = clock.millis();
        }

        List<Message> scan(TupleRange range, int max) {
            return ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_SCAN_RECORDS,
                    store.scanRecords(range, null, max == Integer.MAX_VALUE ? ScanProperties.FORWARD_SCAN : limit(max))
                            .map(FDBStoredRecord::getRecord).asList());
        }

        List<Message> scanType(Object type, int max) {
            return scan(TupleRange.allOf(Tuple.from(type)), max);
        }

        List<WcacheRecords.File> filesAt(String path) {
            return scan(TupleRange.allOf(Tuple.from(fileType, path)), Integer.MAX_VALUE).stream()
                    .map(m -> as(m, WcacheRecords.File.getDefaultInstance())).toList();
        }

        WcacheRecords.File committed(List<WcacheRecords.File> files) {
            for (WcacheRecords.File f : files) {
                if (f.getState() == WcacheRecords.FileState.COMMITTED) {
                    return f;
                }
            }
            return null;
        }

        WcacheRecords.File loadFile(NamespacePath path, long fileId) {
            FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(fileType, path.toString(), fileId));
            return r == null ? null : as(r.getRecord(), WcacheRecords.File.getDefaultInstance());
        }

        List<Extent> extents(long fileId) {
            return scan(TupleRange.allOf(Tuple.from(extentType, fileId)), Integer.MAX_VALUE).stream()
                    .map(m -> RecordMapping.extent(as(m, WcacheRecords.Extent.getDefaultInstance()))).toList();
        }

        List<Extent> deleteExtents(long fileId) {
            List<Extent> ext = extents(fileId);
            for (Extent e : ext) {
                store.deleteRecord(Tuple.from(extentType, e.fileId(), e.offset()));
            }
            return ext;
        }

        Extent extentAt(String worker, long segment, long position) {
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(
                    WcacheMetaData.EXTENT_BY_LOCATION, IndexScanType.BY_VALUE,
                    TupleRange.allOf(Tuple.from(worker, segment, position)), null, limit(1))) {
                RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                return it.hasNext()
                        ? RecordMapping.extent(as(it.next().getRecord(), WcacheRecords.Extent.getDefaultInstance()))
                        : null;
            }
        }

        void requireLength(Extent e, long length) {
            if (e.length() != length) {
                throw new WcacheException.Corruption("file " + e.fileId(), "extent at offset " + e.offset()
                        + " names a location of " + length + " bytes but covers " + e.length());
            }
        }

        WcacheRecords.File fileById(long fileId) {
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(WcacheMetaData.FILE_BY_ID,
                    IndexScanType.BY_VALUE, TupleRange.allOf(Tuple.from(fileId)), null, limit(1))) {
                RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                return it.hasNext() ? as(it.next().getRecord(), WcacheRecords.File.getDefaultInstance()) : null;
            }
        }

        WcacheRecords.Tombstone tombstone(String path) {
            FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(tombstoneType, path));
            return r == null ? null : as(r.getRecord(), WcacheRecords.Tombstone.getDefaultInstance());
        }

        WcacheRecords.PersistTask task(String path) {
            FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(taskType, path));
            return r == null ? null : as(r.getRecord(), WcacheRecords.PersistTask.getDefaultInstance());
        }

        long readCounter(String worker, String region) {
            byte[] v = ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD,
                    ctx.ensureActive().get(counters(ctx).pack(Tuple.from("space", worker, region))));
            return v == null ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        long readCounterKey(Tuple key) {
            byte[] v = ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, ctx.ensureActive().get(counters(ctx).pack(key)));
            return v == null ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        void bumpConfigVersion() {
            byte[] one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array();
            ctx.ensureActive().mutate(MutationType.ADD, counters(ctx).pack(Tuple.from("configVersion")), one);
        }

        void addSpace(String worker, long pinnedDelta, long evictableDelta) {
            if (pinnedDelta != 0) {
                add(worker, "pinned", pinnedDelta);
            }
            if (evictableDelta != 0) {
                add(worker, "evictable", evictableDelta);
            }
        }

        private void add(String worker, String region, long delta) {
            byte[] param = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(delta).array();
            ctx.ensureActive().mutate(MutationType.ADD, counters(ctx).pack(Tuple.from("space", worker, region)), param);
        }

        /** Adds (sign +1) or removes (sign -1) a version's bytes from its holders' region counters. */
        void account(FileVersion f, int sign) {
            long bytes = sign * f.size();
            for (String w : f.holders()) {
                if (f.pinned()) {
                    addSpace(w, bytes, 0);
                } else {
                    addSpace(w, 0, bytes);
                }
            }
        }

        long nextGeneration(WcacheRecords.File current, WcacheRecords.Tombstone tomb) {
            long g = 0;
            if (current != null) {
                g = current.getGeneration();
            }
            if (tomb != null) {
                g = Math.max(g, tomb.getGeneration());
            }
            return g + 1;
        }

        Optional<FileVersion> lookup(NamespacePath path) {
            return Optional.ofNullable(committed(filesAt(path.toString()))).map(RecordMapping::file);
        }

        /** The committed version of a path with its extents. */
        Optional<FileLayout> layout(NamespacePath path) {
            WcacheRecords.File f = committed(filesAt(path.toString()));
            return f == null ? Optional.empty() : Optional.of(new FileLayout(RecordMapping.file(f), extents(f.getFileId())));
        }

        PathStatus status(NamespacePath path) {
            Optional<FileLayout> live = layout(path);
            if (live.isPresent()) {
                return new PathStatus.Live(live.get());
            }
            WcacheRecords.Tombstone tomb = tombstone(path.toString());
            return tomb == null ? new PathStatus.NotCached() : new PathStatus.Deleted(RecordMapping.tombstone(tomb));
        }

        WcacheRecords.File requireSession(SessionRef ref) {
            WcacheRecords.File d = deferred.get(ref.fileId());
            WcacheRecords.File s = d != null && d.getPath().equals(ref.path().toString()) ? d
                    : loadFile(ref.path(), ref.fileId());
            if (s == null) {
                throw new WcacheException.NotFound(ref.path().toString(),
                        "no write session " + ref.fileId() + " for " + ref.path() + " (aborted, swept or superseded)");
            }
            if (s.getState() != WcacheRecords.FileState.WRITING) {
                throw new WcacheException.Conflict(ref.path().toString(),
                        "write session " + ref.fileId() + " for " + ref.path() + " has already committed");
            }
            return s;
        }

        /** The upload if it is in progress (a completed upload's record is kept only to answer retries). */
        WcacheRecords.MultipartUpload upload(String uploadId) {
            FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(uploadType, uploadId));
            WcacheRecords.MultipartUpload u = r == null ? null
                    : as(r.getRecord(), WcacheRecords.MultipartUpload.getDefaultInstance());
            return u == null || u.hasCompletedTimeMs() ? null : u;
        }

        WcacheRecords.MultipartUpload requireUpload(String uploadId) {
            WcacheRecords.MultipartUpload u = upload(uploadId);
            if (u == null) {
                throw new WcacheException.NotFound(uploadId, "no multipart upload " + uploadId);
            }
            return u;
        }

        WcacheRecords.Part part(String uploadId, int partNumber) {
            FDBStoredRecord<Message> r = store.loadRecord(Tuple.from(partType, uploadId, partNumber));
            return r == null ? null : as(r.getRecord(), WcacheRecords.Part.getDefaultInstance());
        }

        MultipartUploadInfo beginPart(String uploadId) {
            WcacheRecords.MultipartUpload touched = requireUpload(uploadId).toBuilder().setLastPartTimeMs(now).build();
            store.saveRecord(touched);
            return RecordMapping.upload(touched);
        }

        List<Extent> addPartExtents(String uploadId, long fileId, List<Extent> extents) {
            WcacheRecords.MultipartUpload u = requireUpload(uploadId);
            SessionRef ref = new SessionRef(NamespacePath.of(u.getPath()), fileId);
            for (Extent e : extents) {
                e.validateFor(ref);
                store.saveRecord(RecordMapping.extent(e));
            }
            return extents;
        }

        /**
         * Records part {@code partNumber}: with {@code extents} given, they are stored now; with null,
         * the extents already recorded under {@code fileId} (written through the pipeline) are used.
         */
        List<Extent> putPart(String uploadId, int partNumber, long fileId, List<Extent> extents, long size, String etag) {
            if (partNumber < 1 || partNumber > 10_000) {
                throw new WcacheException.InvalidArgument(uploadId, "part number " + partNumber + " is out of range 1..10000");
            }
            WcacheRecords.MultipartUpload u = requireUpload(uploadId);
            SessionRef ref = new SessionRef(NamespacePath.of(u.getPath()), fileId);
            List<Extent> mine = extents == null ? extents(fileId) : extents;
            long covered = 0;
            for (Extent e : mine) {
                e.validateFor(ref);
                if (e.offset() != covered) {
                    throw new WcacheException.InvalidArgument(uploadId, "extents of part " + partNumber
                            + " leave a gap or overlap at offset " + covered);
                }
                covered = e.end();
            }
            if (covered != size) {
                throw new WcacheException.InvalidArgument(uploadId, "part " + partNumber + " says " + size
                        + " bytes but its extents cover " + covered);
            }
            List<Extent> replaced = List.of();
            WcacheRecords.Part old = part(uploadId, partNumber);
            if (old != null && old.getFileId() != fileId) {
                replaced = deleteExtents(old.getFileId());
            }
            if (extents != null) {
                for (Extent e : extents) {
                    store.saveRecord(RecordMapping.extent(e));
                }
            }
            store.saveRecord(WcacheRecords.Part.newBuilder().setUploadId(uploadId).setPartNumber(partNumber)
                    .setFileId(fileId).setSize(size).setEtag(etag == null ? "" : etag).setCreatedTimeMs(now).build());
            store.saveRecord(u.toBuilder().setLastPartTimeMs(now).build());
            return replaced;
        }

        PartResult abortPart(String uploadId, int partNumber, long fileId) {
            WcacheRecords.Part p = part(uploadId, partNumber);
            if (p != null && p.getFileId() == fileId) {
                store.deleteRecord(Tuple.from(partType, uploadId, partNumber));
            }
            return new PartResult(deleteExtents(fileId));
        }

        List<Extent> abortUpload(String uploadId) {
            List<Extent> out = new ArrayList<>();
            for (WcacheRecords.Part p : parts(uploadId)) {
                out.addAll(deleteExtents(p.getFileId()));
                store.deleteRecord(Tuple.from(partType, uploadId, p.getPartNumber()));
            }
            store.deleteRecord(Tuple.from(uploadType, uploadId));
            return out;
        }

        List<WcacheRecords.Part> parts(String uploadId) {
            return scan(TupleRange.allOf(Tuple.from(partType, uploadId)), Integer.MAX_VALUE).stream()
                    .map(m -> as(m, WcacheRecords.Part.getDefaultInstance())).toList();
        }

        CompleteUploadResult completeUpload(String uploadId, List<CompletedPart> named, String etag, long crc32c,
                                            long fileId) {
            WcacheRecords.MultipartUpload u = requireUpload(uploadId);
            if (named.isEmpty()) {
                throw new WcacheException.InvalidArgument(uploadId, "a multipart upload needs at least one part");
            }
            Map<Integer, WcacheRecords.Part> byNumber = new java.util.HashMap<>();
            for (WcacheRecords.Part p : parts(uploadId)) {
                byNumber.put(p.getPartNumber(), p);
            }
            int previous = 0;
            for (CompletedPart c : named) {
                if (c.partNumber() <= previous) {
                    throw new WcacheException.InvalidArgument(uploadId, "parts must be listed in ascending order; "
                            + c.partNumber() + " follows " + previous);
                }
                previous = c.partNumber();
                WcacheRecords.Part p = byNumber.get(c.partNumber());
                if (p == null || !stripQuotes(p.getEtag()).equals(stripQuotes(c.etag()))) {
                    throw new WcacheException.InvalidArgument(uploadId, "part " + c.partNumber()
                            + (p == null ? " was not uploaded" : " has ETag " + p.getEtag() + ", not " + c.etag()));
                }
            }
            // Preconditions hold; assemble: the new file's extents point at the parts' bytes, shifted.
            NamespacePath path = NamespacePath.of(u.getPath());
            BeginRequest request = new BeginRequest(path, WritePolicy.valueOf(u.getPolicy()),
                    Math.max(1, u.getWriteReplicas()), u.getOwnerWorker(), u.getReplicaWorkersList(), u.getContentType(),
                    RecordMapping.map(u.getUserMetadataList()), RecordMapping.map(u.getStandardHeadersList()),
                    RecordMapping.map(u.getTagsList()));
            FileVersion session = begin(request, fileId);
            long offset = 0;
            java.util.Set<Integer> used = new java.util.HashSet<>();
            List<Long> partSizes = new ArrayList<>(named.size());
            List<Extent> assembled = new ArrayList<>();
            for (CompletedPart c : named) {
                WcacheRecords.Part p = byNumber.get(c.partNumber());
                used.add(c.partNumber());
                partSizes.add(p.getSize());
                for (Extent e : deleteExtents(p.getFileId())) {
                    Extent moved = new Extent(fileId, offset + e.offset(), e.worker(), e.segment(), e.position(),
                            e.length(), e.crc32c());
                    store.saveRecord(RecordMapping.extent(moved));
                    assembled.add(moved);
                }
                offset += p.getSize();
                store.deleteRecord(Tuple.from(partType, uploadId, p.getPartNumber()));
            }
            List<Extent> discarded = new ArrayList<>();
            for (WcacheRecords.Part p : byNumber.values()) {
                if (!used.contains(p.getPartNumber())) {
                    discarded.addAll(deleteExtents(p.getFileId()));
                    store.deleteRecord(Tuple.from(partType, uploadId, p.getPartNumber()));
                }
            }
            // The upload's record stays, marked completed, so that a retried completion is answered alike.
            WcacheRecords.MultipartUpload.Builder done = u.toBuilder().setCompletedTimeMs(now).setCompletedFileId(fileId)
                    .setCompletedEtag(etag).setCompletedSize(offset);
            for (CompletedPart c : named) {
                done.addCompletedParts(c.partNumber() + ":" + stripQuotes(byNumber.get(c.partNumber()).getEtag()));
            }
            store.saveRecord(done.build());
            // The part boundaries travel with the session record into the committed version.
            store.saveRecord(loadFile(path, fileId).toBuilder().addAllPartSizes(partSizes).build());
            CommitResult commit = commit(session.ref(), new CommitRequest(offset, etag, crc32c));
            return new CompleteUploadResult(commit, discarded, assembled);
        }

        FileVersion begin(BeginRequest req, long fileId) {
            return begin(req, fileId, false);
        }

        FileVersion begin(BeginRequest req, long fileId, boolean defer) {
            NamespacePath path = req.path();
            if (!req.policy().cachesWrites()) {
                throw new WcacheException.InvalidArgument(path.toString(),
                        "policy " + req.policy() + " caches no writes; no write session is opened");
            }
            if (path.depth() < 2) {
                throw new WcacheException.InvalidPath(path.toString(), "a file must be inside a mount: /<mount>/<key>");
            }
            if (req.writeReplicas() < 1 || req.writeReplicas() > PathRule.MAX_WRITE_REPLICAS) {
                throw new WcacheException.InvalidArgument(path.toString(), "writeReplicas " + req.writeReplicas()
                        + " is out of range 1.." + PathRule.MAX_WRITE_REPLICAS);
            }
            String p = path.toString();
            long generation = nextGeneration(committed(filesAt(p)), tombstone(p));
            WcacheRecords.File rec = WcacheRecords.File.newBuilder().setPath(p).setFileId(fileId)
                    .setGeneration(generation).setState(WcacheRecords.FileState.WRITING)
                    .setPersistState(WcacheRecords.PersistState.NOT_PERSISTED).setPolicy(req.policy().name())
                    .setWriteReplicas(req.writeReplicas()).setSize(0).setContentType(req.contentType())
                    .addAllUserMetadata(RecordMapping.keyValues(req.userMetadata()))
                    .addAllStandardHeaders(RecordMapping.keyValues(req.standardHeaders()))
                    .addAllTags(RecordMapping.keyValues(req.tags())).setCreatedTimeMs(now)
                    .setLastWriteTimeMs(now).setOwnerWorker(req.ownerWorker())
                    .addAllReplicaWorkers(req.replicaWorkers()).build();
            if (defer) {
                deferred.put(fileId, rec);
            } else {
                store.saveRecord(rec);
            }
            return RecordMapping.file(rec);
        }

        /** A reserved id may open one session only: reuse would make two versions share extents. */
        long checkReserved(long fileId) {
            if (fileId <= 0) {
                throw new WcacheException.InvalidArgument(String.valueOf(fileId), "file id " + fileId + " was not reserved");
            }
            if (deferred.containsKey(fileId)) {
                throw new WcacheException.AlreadyExists(String.valueOf(fileId), "file id " + fileId + " is already in use");
            }
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(WcacheMetaData.FILE_BY_ID,
                    IndexScanType.BY_VALUE, TupleRange.allOf(Tuple.from(fileId)), null, limit(1))) {
                if (cursor.asIterator().hasNext()) {
                    throw new WcacheException.AlreadyExists(String.valueOf(fileId), "file id " + fileId + " is already in use");
                }
            }
            return fileId;
        }

        FileVersion addExtents(SessionRef ref, List<Extent> extents) {
            WcacheRecords.File s = requireSession(ref);
            for (Extent e : extents) {
                e.validateFor(ref);
            }
            for (Extent e : extents) {
                store.saveRecord(RecordMapping.extent(e));
            }
            if (now - s.getLastWriteTimeMs() < LAST_WRITE_GRANULARITY_MS) {
                // Written a moment ago: rewriting the session record (and its six index entries) for
                // every record of a large write only moves last-write time by milliseconds.
                return RecordMapping.file(s);
            }
            WcacheRecords.File updated = s.toBuilder().setLastWriteTimeMs(now).build();
            if (deferred.containsKey(ref.fileId())) {
                deferred.put(ref.fileId(), updated);
            } else {
                store.saveRecord(updated);
            }
            return RecordMapping.file(updated);
        }

        CommitResult commit(SessionRef ref, CommitRequest req) {
            WcacheRecords.File s = requireSession(ref);
            String p = ref.path().toString();
            long covered = 0;
            for (Extent e : extents(ref.fileId())) {
                if (e.offset() != covered) {
                    throw new WcacheException.InvalidArgument(p, "extents of session " + ref.fileId()
                            + (e.offset() > covered ? " leave a gap" : " overlap") + " at offset " + covered);
                }
                covered = e.end();
            }
            if (covered != req.size()) {
                throw new WcacheException.InvalidArgument(p, "commit of session " + ref.fileId() + " says " + req.size()
                        + " bytes but its extents cover " + covered);
            }
            WcacheRecords.File current = committed(filesAt(p));
            WcacheRecords.Tombstone tomb = tombstone(p);
            checkCondition(p, req.condition(), current, tomb);
            WcacheRecords.PersistTask existingTask = task(p);
            long generation = nextGeneration(current, tomb);
            WritePolicy policy = WritePolicy.valueOf(s.getPolicy());
            WcacheRecords.PersistState persistState = switch (policy) {
                case WRITE_BACK -> WcacheRecords.PersistState.NOT_PERSISTED;
                case TRANSIENT -> WcacheRecords.PersistState.TRANSIENT_ONLY;
                default -> WcacheRecords.PersistState.PERSISTED;
            };
            // All preconditions hold: from here on, only writes.
            Optional<FileVersion> superseded = Optional.empty();
            List<Extent> supersededExtents = List.of();
            if (current != null) {
                FileVersion old = RecordMapping.file(current);
                supersededExtents = deleteExtents(current.getFileId());
                store.deleteRecord(Tuple.from(fileType, p, current.getFileId()));
                account(old, -1);
                superseded = Optional.of(old);
            }
            WcacheRecords.File committed = s.toBuilder().setState(WcacheRecords.FileState.COMMITTED)
                    .setGeneration(generation).setPersistState(persistState).setSize(req.size()).setEtag(req.etag())
                    .setCrc32C(req.crc32c()).setCommittedTimeMs(now).setLastWriteTimeMs(now).build();
            store.saveRecord(committed);
            deferred.remove(ref.fileId());
            FileVersion result = RecordMapping.file(committed);
            account(result, +1);
            boolean queued = false;
            switch (policy) {
                case WRITE_BACK -> {
                    upsertTask(p, TaskKind.UPLOAD, ref.fileId(), generation, req.size(), existingTask);
                    queued = true;
                    if (tomb != null) {
                        store.deleteRecord(Tuple.from(tombstoneType, p));
                    }
                }
                case WRITE_THROUGH -> {
                    // The bytes are already in the UFS: a pending upload or delete of an older state is obsolete.
                    if (tomb != null) {
                        store.deleteRecord(Tuple.from(tombstoneType, p));
                    }
                    if (existingTask != null) {
                        store.deleteRecord(Tuple.from(taskType, p));
                    }
                }
                default -> {
                    // TRANSIENT: nothing to upload; an older version's upload is obsolete, a pending delete is not.
                    if (existingTask != null && existingTask.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                        store.deleteRecord(Tuple.from(taskType, p));
                    }
                }
            }
            return new CommitResult(result, superseded, supersededExtents, queued);
        }

        /**
         * Refuses a commit whose condition the path's committed version does not meet: read in this
         * transaction, so of racing conditional writers the first commit wins and the others fail.
         */
        void checkCondition(String p, WriteCondition c, WcacheRecords.File current, WcacheRecords.Tombstone tomb) {
            if (c.mustBeAbsent() && current != null) {
                throw new WcacheException.AlreadyExists(p, "object exists (a create that requires absence lost the race)");
            }
            if (!c.etagMatch().isEmpty()) {
                if (current == null && tomb != null) {
                    throw new WcacheException.Conflict(p, "object was deleted; If-Match " + c.etagMatch() + " fails");
                }
                if (current != null && !c.matches(current.getEtag())) {
                    throw new WcacheException.Conflict(p, "object's ETag is " + current.getEtag() + ", not one of "
                            + c.etagMatch());
                }
            }
        }

        void upsertTask(String path, TaskKind kind, long fileId, long generation, long size,
                        WcacheRecords.PersistTask existing) {
            WcacheRecords.PersistTask.Builder b = WcacheRecords.PersistTask.newBuilder().setPath(path)
                    .setKind(kind == TaskKind.DELETE ? WcacheRecords.TaskKind.UFS_DELETE : WcacheRecords.TaskKind.UPLOAD)
                    .setFileId(fileId).setGeneration(generation).setSize(size).setAttempts(0).setEnqueuedTimeMs(now);
            if (existing != null && existing.hasLeaseExpiryMs() && existing.getLeaseExpiryMs() > now) {
                // The older task is still in flight: keep its lease so the newer work waits for it.
                b.setLeaseOwner(existing.getLeaseOwner()).setLeaseExpiryMs(existing.getLeaseExpiryMs())
                        .setNextAttemptTimeMs(existing.getLeaseExpiryMs());
            } else {
                b.setNextAttemptTimeMs(now);
            }
            store.saveRecord(b.build());
        }

        AbortResult abort(SessionRef ref) {
            WcacheRecords.File s = requireSession(ref);
            List<Extent> ext = deleteExtents(ref.fileId());
            if (deferred.remove(ref.fileId()) == null) {
                store.deleteRecord(Tuple.from(fileType, ref.path().toString(), ref.fileId()));
            }
            return new AbortResult(RecordMapping.file(s), ext);
        }

        Optional<List<Extent>> markDamaged(SessionRef ref, String damage) {
            WcacheRecords.File f = loadFile(ref.path(), ref.fileId());
            if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED
                    || f.getPersistState() == WcacheRecords.PersistState.PERSISTED) {
                return Optional.empty();
            }
            store.saveRecord(f.toBuilder().setDamage(damage).build());
            return Optional.of(deleteExtents(f.getFileId()));
        }

        DeleteResult delete(NamespacePath path) {
            if (path.depth() < 2) {
                throw new WcacheException.InvalidPath(path.toString(), "a file must be inside a mount: /<mount>/<key>");
            }
            String p = path.toString();
            WcacheRecords.File current = committed(filesAt(p));
            WcacheRecords.Tombstone tomb = tombstone(p);
            WcacheRecords.PersistTask existingTask = task(p);
            long generation = nextGeneration(current, tomb);
            Optional<FileVersion> removed = Optional.empty();
            List<Extent> ext = List.of();
            if (current != null) {
                FileVersion old = RecordMapping.file(current);
                ext = deleteExtents(current.getFileId());
                store.deleteRecord(Tuple.from(fileType, p, current.getFileId()));
                account(old, -1);
                removed = Optional.of(old);
            }
            long fileId = current == null ? 0 : current.getFileId();
            WcacheRecords.Tombstone t = WcacheRecords.Tombstone.newBuilder().setPath(p).setGeneration(generation)
                    .setFileId(fileId).setDeletedTimeMs(now).build();
            store.saveRecord(t);
            upsertTask(p, TaskKind.DELETE, fileId, generation, 0, existingTask);
            return new DeleteResult(removed, ext, RecordMapping.tombstone(t));
        }

        List<OpOutcome> apply(List<CatalogOp> ops, long[] ids) {
            List<OpOutcome> out = new ArrayList<>(ops.size());
            Set<Long> committedLater = new HashSet<>();
            for (CatalogOp op : ops) {
                if (op instanceof CatalogOp.Commit c) {
                    committedLater.add(c.session().fileId());
                }
            }
            int nextId = 0;
            for (CatalogOp op : ops) {
                try {
                    Object result;
                    if (op instanceof CatalogOp.Begin b) {
                        long id = b.reservedFileId() == 0 ? ids[nextId++] : checkReserved(b.reservedFileId());
                        result = begin(b.request(), id, committedLater.contains(id));
                    } else if (op instanceof CatalogOp.AddExtents a) {
                        result = addExtents(a.session(), a.extents());
                    } else if (op instanceof CatalogOp.Commit c) {
                        result = commit(c.session(), c.request());
                    } else if (op instanceof CatalogOp.Abort a) {
                        result = abort(a.session());
                    } else if (op instanceof CatalogOp.BeginPart b) {
                        result = beginPart(b.uploadId());
                    } else if (op instanceof CatalogOp.AddPartExtents a) {
                        result = addPartExtents(a.uploadId(), a.fileId(), a.extents());
                    } else if (op instanceof CatalogOp.PutPart p) {
                        result = new PartResult(putPart(p.uploadId(), p.partNumber(), p.fileId(), null, p.size(), p.etag()));
                    } else if (op instanceof CatalogOp.AbortPart a) {
                        result = abortPart(a.uploadId(), a.partNumber(), a.fileId());
                    } else {
                        result = delete(((CatalogOp.Delete) op).path());
                    }
                    out.add(new OpOutcome.Success(result));
                } catch (WcacheException e) {
                    out.add(new OpOutcome.Failure(e));
                }
            }
            for (WcacheRecords.File session : deferred.values()) {
                store.saveRecord(session);
            }
            deferred.clear();
            return out;
        }

        ListPage list(ListRequest req) {
            String prefix = req.prefix();
            String delimiter = req.delimiter();
            int limit = req.limit();
            String low = prefix;
            boolean lowInclusive = true;
            if (!req.startAfter().isEmpty() && NamespacePath.compareCodePoints(req.startAfter(), low) >= 0) {
                low = req.startAfter();
                lowInclusive = false;
            }
            if (req.continuation().isPresent()) {
                String decoded;
                try {
                    decoded = new String(Base64.getUrlDecoder().decode(req.continuation().get()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    decoded = "";
                }
                if (decoded.isEmpty() || (decoded.charAt(0) != 'P' && decoded.charAt(0) != 'F')
                        || !decoded.substring(1).startsWith(prefix)) {
                    throw new WcacheException.InvalidArgument("continuation",
                            "continuation token is not valid for this listing");
                }
                String key = decoded.substring(1);
                String resume = decoded.charAt(0) == 'P' ? successor(key) : key;
                if (resume == null) {
                    return new ListPage(List.of(), List.of(), Optional.empty());
                }
                boolean inclusive = decoded.charAt(0) == 'P';
                int cmp = NamespacePath.compareCodePoints(resume, low);
                if (cmp > 0 || (cmp == 0 && !inclusive)) {
                    low = resume;
                    lowInclusive = inclusive;
                }
            }
            String high = prefix.isEmpty() ? null : successor(prefix);
            int committed = WcacheRecords.FileState.COMMITTED.getNumber();
            List<Object> entries = new ArrayList<>();
            scanning:
            while (true) {
                TupleRange range = new TupleRange(Tuple.from(committed, low),
                        high == null ? Tuple.from(committed) : Tuple.from(committed, high),
                        lowInclusive ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE,
                        high == null ? EndpointType.RANGE_INCLUSIVE : EndpointType.RANGE_EXCLUSIVE);
                boolean restart = false;
                try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(
                        WcacheMetaData.FILE_BY_STATE_PATH, IndexScanType.BY_VALUE, range, null,
                        limit(limit + 1 - entries.size()))) {
                    RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                    while (it.hasNext()) {
                        WcacheRecords.File f = as(it.next().getRecord(), WcacheRecords.File.getDefaultInstance());
                        String path = f.getPath();
                        if (!delimiter.isEmpty()) {
                            int i = path.indexOf(delimiter, prefix.length());
                            if (i >= 0) {
                                String common = path.substring(0, i + delimiter.length());
                                entries.add(common);
                                String next = successor(common);
                                if (entries.size() > limit || next == null) {
                                    break scanning;
                                }
                                // Skip every key under this common prefix with one new range read.
                                low = next;
                                lowInclusive = true;
                                restart = true;
                                break;
                            }
                        }
                        entries.add(RecordMapping.file(f));
                        if (entries.size() > limit) {
                            break scanning;
                        }
                    }
                }
                if (!restart) {
                    break;
                }
            }
            Optional<String> token = Optional.empty();
            if (entries.size() > limit) {
                entries.remove(entries.size() - 1);
                Object last = entries.get(entries.size() - 1);
                token = Optional.of(last instanceof String s ? encodeToken(true, s)
                        : encodeToken(false, ((FileVersion) last).path().toString()));
            }
            List<FileVersion> files = new ArrayList<>();
            List<String> prefixes = new ArrayList<>();
            for (Object e : entries) {
                if (e instanceof String s) {
                    prefixes.add(s);
                } else {
                    files.add((FileVersion) e);
                }
            }
            return new ListPage(files, prefixes, token);
        }

        List<WcacheRecords.PersistTask> dueTasks(long nowMs, int max) {
            return dueTasks(nowMs, max, IsolationLevel.SERIALIZABLE);
        }

        List<WcacheRecords.PersistTask> dueTasks(long nowMs, int max, IsolationLevel isolation) {
            TupleRange range = new TupleRange(null, Tuple.from(nowMs), EndpointType.TREE_START, EndpointType.RANGE_INCLUSIVE);
            List<WcacheRecords.PersistTask> out = new ArrayList<>();
            ScanProperties props = new ScanProperties(ExecuteProperties.newBuilder().setReturnedRowLimit(max)
                    .setIsolationLevel(isolation).build());
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(
                    WcacheMetaData.TASK_BY_NEXT_ATTEMPT, IndexScanType.BY_VALUE, range, null, props)) {
                RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                while (it.hasNext()) {
                    out.add(as(it.next().getRecord(), WcacheRecords.PersistTask.getDefaultInstance()));
                }
            }
            return out;
        }

        List<PersistTask> claim(String owner, Duration lease, int max) {
            long expiry = now + lease.toMillis();
            List<PersistTask> out = new ArrayList<>();
            // The queue is scanned without a read conflict on its range: every commit enqueues a
            // task into it, so a serializable scan made a claim conflict with all concurrent writes
            // and starve under load. Only the claimed tasks themselves must not have changed (another
            // claimer, a newer version replacing the task): their keys are read conflicts.
            for (WcacheRecords.PersistTask t : dueTasks(now, max, IsolationLevel.SNAPSHOT)) {
                store.addRecordReadConflict(Tuple.from(taskType, t.getPath()));
                WcacheRecords.PersistTask claimed = t.toBuilder().setLeaseOwner(owner).setLeaseExpiryMs(expiry)
                        .setNextAttemptTimeMs(expiry).build();
                store.saveRecord(claimed);
                if (t.getKind() == WcacheRecords.TaskKind.UPLOAD) {
                    setPersistState(t, WcacheRecords.PersistState.PERSISTING);
                }
                out.add(RecordMapping.task(claimed));
            }
            return out;
        }

        private void setPersistState(WcacheRecords.PersistTask t, WcacheRecords.PersistState state) {
            WcacheRecords.File f = loadFile(NamespacePath.of(t.getPath()), t.getFileId());
            if (f != null && f.getState() == WcacheRecords.FileState.COMMITTED && f.getPersistState() != state) {
                store.saveRecord(f.toBuilder().setPersistState(state).build());
            }
        }

        private boolean isCurrent(WcacheRecords.PersistTask stored, PersistTask task) {
            return stored != null && stored.getGeneration() == task.generation() && stored.getFileId() == task.fileId()
                    && (stored.getKind() == WcacheRecords.TaskKind.UFS_DELETE) == (task.kind() == TaskKind.DELETE);
        }

        /** A superseded task's holder gives its lease back so the newer task becomes due now. */
        private void releaseLease(WcacheRecords.PersistTask stored, PersistTask finished) {
            if (stored != null && finished.leaseOwner().isPresent() && stored.hasLeaseOwner()
                    && stored.getLeaseOwner().equals(finished.leaseOwner().get())) {
                store.saveRecord(stored.toBuilder().clearLeaseOwner().clearLeaseExpiryMs().setNextAttemptTimeMs(now).build());
            }
        }

        PersistOutcome markPersisted(PersistTask task) {
            String p = task.path().toString();
            WcacheRecords.PersistTask stored = task(p);
            if (!isCurrent(stored, task)) {
                releaseLease(stored, task);
                return PersistOutcome.SUPERSEDED;
            }
            if (task.kind() == TaskKind.UPLOAD) {
                WcacheRecords.File f = loadFile(task.path(), task.fileId());
                if (f == null || f.getState() != WcacheRecords.FileState.COMMITTED || f.getGeneration() != task.generation()) {
                    store.deleteRecord(Tuple.from(taskType, p));
                    return PersistOutcome.SUPERSEDED;
                }
                FileVersion before = RecordMapping.file(f);
                WcacheRecords.File persisted = f.toBuilder().setPersistState(WcacheRecords.PersistState.PERSISTED).build();
                store.saveRecord(persisted);
                account(before, -1);
                account(RecordMapping.file(persisted), +1);
            } else {
                WcacheRecords.Tombstone tomb = tombstone(p);
                if (tomb != null && tomb.getGeneration() == task.generation()) {
                    store.deleteRecord(Tuple.from(tombstoneType, p));
                }
            }
            store.deleteRecord(Tuple.from(taskType, p));
            return PersistOutcome.PERSISTED;
        }

        Optional<PersistTask> reschedule(PersistTask task, Instant nextAttempt, String error) {
            String p = task.path().toString();
            WcacheRecords.PersistTask stored = task(p);
            if (!isCurrent(stored, task)) {
                releaseLease(stored, task);
                return Optional.empty();
            }
            String err = error == null ? "" : error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error;
            WcacheRecords.PersistTask updated = stored.toBuilder().setAttempts(stored.getAttempts() + 1)
                    .setNextAttemptTimeMs(nextAttempt.toEpochMilli()).setLastError(err)
                    .clearLeaseOwner().clearLeaseExpiryMs().build();
            store.saveRecord(updated);
            if (task.kind() == TaskKind.UPLOAD) {
                setPersistState(stored, WcacheRecords.PersistState.NOT_PERSISTED);
            }
            return Optional.of(RecordMapping.task(updated));
        }

        List<FileVersion> sessionsBefore(String index, Instant cutoff, int max) {
            int writing = WcacheRecords.FileState.WRITING.getNumber();
            TupleRange range = new TupleRange(Tuple.from(writing), Tuple.from(writing, cutoff.toEpochMilli()),
                    EndpointType.RANGE_INCLUSIVE, EndpointType.RANGE_EXCLUSIVE);
            List<FileVersion> out = new ArrayList<>();
            try (RecordCursor<FDBIndexedRecord<Message>> cursor = store.scanIndexRecords(
                    index, IndexScanType.BY_VALUE, range, null, limit(max))) {
                RecordCursorIterator<FDBIndexedRecord<Message>> it = cursor.asIterator();
                while (it.hasNext()) {
                    out.add(RecordMapping.file(as(it.next().getRecord(), WcacheRecords.File.getDefaultInstance())));
                }
            }
            return out;
        }
    }
}
