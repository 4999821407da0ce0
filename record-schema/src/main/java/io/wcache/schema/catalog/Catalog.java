package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.storestate.FDBRecordStoreStateCache;
import io.wcache.core.error.WcacheException;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed, transactional metadata operations over the wcache record store, in five parts by concern
 * that share one transaction runner: {@link #files()} (write sessions, committed versions,
 * deletes, listings, batches), {@link #locations()} (extents by log-store location),
 * {@link #multipart()} (multipart uploads and parts), {@link #persistQueue()} (UFS work waiting
 * for the persister) and {@link #cluster()} (path rules, mounts, workers, space counters), with
 * {@link #membership()} (the workers' addresses and leases) and {@link #accessControls()} (the S3
 * frontend's owners and ACLs).
 *
 * <p>Every operation, and every batch given to {@link CatalogFiles#apply}, is exactly one Record
 * Layer transaction run on the calling thread, retried on conflicts; results are domain records,
 * never raw protobuf. The operations are synchronous: their callers run on I/O threads that may
 * block. Failures are {@link WcacheException}s: a refused precondition is its typed error, a
 * metadata engine failure is {@code Unavailable}.
 */
public final class Catalog {

    private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

    private final CatalogTransactions transactions;
    private final CatalogFiles files;
    /** Statuses of paths between reads: how many at most (see {@link #cacheStatusesFrom}). */
    static final int STATUS_CACHE_ENTRIES = 16_384;
    private final StatusCache statuses;
    private final ExtentLocations locations;
    private final MultipartUploads multipart;
    private final PersistQueue persistQueue;
    private final ClusterConfig cluster;
    private final Membership membership;
    private final AccessControls accessControls;
    private final ReplicaCopies replicas;

    /**
     * A catalog named {@code name} on {@code database} (see {@link CatalogKeySpace}), using the
     * system clock.
     */
    public static Catalog open(FDBDatabase database, String name) {
        return new Catalog(database, name, Clock.systemUTC());
    }

    /**
     * Opens the catalog: clears the batch markers left by a crash (see {@link AppliedBatch}) and
     * builds the extent location index if the store predates it.
     */
    public Catalog(FDBDatabase database, String name, Clock clock) {
        this.transactions = new CatalogTransactions(database, name, clock);
        FileIdBlocks ids = new FileIdBlocks(transactions);
        AppliedBatch.Markers markers = new AppliedBatch.Markers(transactions);
        this.statuses = new StatusCache(STATUS_CACHE_ENTRIES, transactions.run(t -> t.store.recordsSubspace().getKey()));
        this.files = new CatalogFiles(transactions, ids, markers, statuses);
        this.locations = new ExtentLocations(transactions);
        this.multipart = new MultipartUploads(transactions, ids);
        this.persistQueue = new PersistQueue(transactions);
        this.cluster = new ClusterConfig(transactions);
        this.membership = new Membership(transactions);
        this.accessControls = new AccessControls(transactions);
        this.replicas = new ReplicaCopies(transactions);
        try {
            markers.clearStale();
        } catch (RuntimeException e) {
            LOG.warn("event=catalog_marker_cleanup_failed catalog={} error={}", name, e.toString());
        }
        locations.ensureIndexReadable();
    }

    /** Counts the reads of every transaction in {@code timer} from now on; null stops (tests). */
    void countReads(com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer timer) {
        transactions.countReads(timer);
    }

    public String name() {
        return transactions.name();
    }

    /**
     * One commit to this Catalog's database, at {@code version}, with every key it wrote and every
     * range it cleared; to be called for every commit after its writes are visible and before its
     * client learns that it committed (the embedded engine's commit listener). Quick, and never throws.
     */
    public void committed(long version, Collection<byte[]> keysWritten, List<byte[][]> rangesCleared) {
        statuses.committed(version, keysWritten, rangesCleared);
    }

    /**
     * Keeps paths' statuses between reads from now on, so a read of a path nothing wrote since does
     * not read the Catalog again. Only for a database whose every commit is reported to
     * {@link #committed} (not FoundationDB, where other processes commit): {@code version} is a
     * committed version read after the reports began.
     */
    public void cacheStatusesFrom(long version) {
        statuses.serveFrom(version);
    }

    /** Write sessions, committed versions and their reads, deletes, listings and batches. */
    public CatalogFiles files() {
        return files;
    }

    /** Extents by log-store location: relocation, eviction, segment deletion, restart. */
    public ExtentLocations locations() {
        return locations;
    }

    /** Multipart uploads and their parts. */
    public MultipartUploads multipart() {
        return multipart;
    }

    /** The UFS work waiting for the persister. */
    public PersistQueue persistQueue() {
        return persistQueue;
    }

    /** Path rules, mounts, workers and their space counters. */
    public ClusterConfig cluster() {
        return cluster;
    }

    /** The workers sharing this Catalog, each with its addresses and membership lease. */
    public Membership membership() {
        return membership;
    }

    /** The replicas of unpersisted versions on other workers (writeReplicas > 1). */
    public ReplicaCopies replicas() {
        return replicas;
    }

    /** S3 owners and ACLs of buckets, objects and multipart uploads. */
    public AccessControls accessControls() {
        return accessControls;
    }

    /** The cache this Catalog opens its record store from (tests open the store through it). */
    FDBRecordStoreStateCache storeStateCache() {
        return transactions.storeStateCache();
    }
}
