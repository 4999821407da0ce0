package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.common.MessageBuilderRecordSerializer;
import com.apple.foundationdb.record.provider.common.RecordSerializer;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordContext;
import com.apple.foundationdb.record.provider.foundationdb.FDBRecordStore;
import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.record.provider.foundationdb.keyspace.KeySpacePath;
import com.apple.foundationdb.record.provider.foundationdb.storestate.FDBRecordStoreStateCache;
import com.apple.foundationdb.record.provider.foundationdb.storestate.MetaDataVersionStampStoreStateCacheFactory;
import com.apple.foundationdb.subspace.Subspace;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import io.wcache.schema.proto.WcacheRecords;
import java.time.Clock;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The one transaction runner every part of the {@link Catalog} shares: it runs a body in one
 * Record Layer transaction on the calling thread, retried on conflicts by
 * {@link FDBDatabase#run}, with the record store opened for it, and maps every failure to a
 * {@link WcacheException} (a refused precondition stays its typed error, an engine failure is
 * {@code Unavailable}).
 */
final class CatalogTransactions {

    private final FDBDatabase database;
    private final String name;
    private final KeySpacePath recordsPath;
    private final Clock clock;
    private final FDBRecordStoreStateCache storeStateCache;
    private final ResolvedPath counters;
    private final ResolvedPath records;
    /** When set (tests), transactions count their reads here. */
    private volatile FDBStoreTimer readTimer;
    /** Who the uploads that commits queue are leased to at once (null: nobody; see {@link PersistQueue#leaseUploadsAtCommit}). */
    private volatile CommitLease commitLease;

    CatalogTransactions(FDBDatabase database, String name, Clock clock) {
        this.database = database;
        this.name = name;
        this.recordsPath = CatalogKeySpace.records(name);
        this.records = new ResolvedPath(recordsPath);
        this.counters = new ResolvedPath(CatalogKeySpace.counters(name));
        this.clock = clock;
        this.storeStateCache = MetaDataVersionStampStoreStateCacheFactory.newInstance().getCache(database);
    }

    /** Counts the reads of every transaction in {@code timer} from now on; null stops (tests). */
    void countReads(FDBStoreTimer timer) {
        this.readTimer = timer;
    }

    String name() {
        return name;
    }

    void commitLease(CommitLease lease) {
        this.commitLease = lease;
    }

    Clock clock() {
        return clock;
    }

    FDBDatabase database() {
        return database;
    }

    KeySpacePath recordsPath() {
        return recordsPath;
    }

    FDBRecordStoreStateCache storeStateCache() {
        return storeStateCache;
    }

    /** Runs {@code body} in one transaction with the record store open, and waits for it. */
    <T> T run(Function<Tx, T> body) {
        try {
            FDBStoreTimer timer = readTimer;
            CommitLease lease = commitLease;
            Function<FDBRecordContext, T> run =
                    ctx -> body.apply(new Tx(ctx, store(ctx).createOrOpen(), counters.in(ctx), clock.millis(), lease));
            return timer == null ? database.run(run) : database.run(timer, null, run);
        } catch (RuntimeException e) {
            throw mapError(e);
        }
    }

    /**
     * As {@link #run}, for a transaction whose loss in a crash only makes work be done again (a
     * persister's claim, its marks of finished uploads, a rescheduled attempt): its commit does not
     * wait for an fsync of its own. On the embedded engine it is written to the write-ahead log
     * without a sync, so it survives a killed process at once and any power loss once a later
     * commit syncs (every acknowledged write's does, the log being one ordered file); on
     * FoundationDB every commit is durable anyway. The write path's synced commits so no longer
     * queue behind the persister's fsyncs.
     */
    <T> T runUnsynced(Function<Tx, T> body) {
        return run(t -> {
            t.ctx.ensureActive().options().setDurabilityRisky();
            return body.apply(t);
        });
    }

    /** Runs {@code body} in one transaction on the counters subspace only (no record store opened). */
    <T> T runOnCounters(BiFunction<FDBRecordContext, Subspace, T> body) {
        try {
            return database.run(ctx -> body.apply(ctx, counters.in(ctx)));
        } catch (RuntimeException e) {
            throw mapError(e);
        }
    }

    /**
     * The record store in a transaction. Its state (header, index states) is cached across
     * transactions and checked against the database's meta-data version stamp, which the Record
     * Layer bumps whenever a cacheable store's state changes: an open is then one snapshot read of
     * that key instead of reading the header and every index state. Stores are made cacheable on
     * their first open. The store's subspace is resolved from its key-space path once, not per
     * transaction (the path names fixed directories only, so its subspace never changes).
     */
    private FDBRecordStore.Builder store(FDBRecordContext ctx) {
        return storeBuilder().setContext(ctx).setSubspace(records.in(ctx)).setStoreStateCache(storeStateCache)
                .setStateCacheabilityOnOpen(FDBRecordStore.StateCacheabilityOnOpen.CACHEABLE);
    }

    /**
     * Records are read into and written from the generated message classes (the stored bytes are
     * the same union message the default serializer writes): a read parses each record once, into
     * the type the Catalog uses, instead of into a dynamic message that {@link RecordTypes#as}
     * then parsed again.
     */
    static final RecordSerializer<com.google.protobuf.Message> SERIALIZER =
            new MessageBuilderRecordSerializer(WcacheRecords.RecordTypeUnion::newBuilder);

    /** A record store builder with the Catalog's meta-data and serializer, for a caller to place and open. */
    static FDBRecordStore.Builder storeBuilder() {
        return FDBRecordStore.newBuilder().setMetaDataProvider(RecordTypes.META_DATA).setSerializer(SERIALIZER);
    }

    /** A key-space path of fixed directories, resolved to its subspace on first use and kept. */
    private static final class ResolvedPath {
        private final KeySpacePath path;
        private volatile Subspace subspace;

        ResolvedPath(KeySpacePath path) {
            this.path = path;
        }

        Subspace in(FDBRecordContext ctx) {
            Subspace s = subspace;
            if (s == null) {
                s = path.toSubspace(ctx);
                subspace = s;
            }
            return s;
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
}
