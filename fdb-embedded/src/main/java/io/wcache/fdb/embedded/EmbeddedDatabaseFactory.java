package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.async.CloseableAsyncIterator;
import com.apple.foundationdb.record.provider.foundationdb.APIVersion;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabaseFactory;
import com.apple.foundationdb.record.provider.foundationdb.FDBLocalityProvider;
import com.apple.foundationdb.record.provider.foundationdb.FDBTraceFormat;

import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The Record Layer's database factory for one embedded database. Its {@link #open(String)} seam hands
 * the Record Layer the embedded {@link Database} whatever "cluster file" is asked for, and it never
 * touches {@code FDBDatabaseFactoryImpl}, {@code FDB.selectAPIVersion} or {@code FDBLocalityUtil}, all of
 * which need libfdb_c.
 */
public final class EmbeddedDatabaseFactory extends FDBDatabaseFactory {
    private final Database database;
    private FDBLocalityProvider localityProvider = new SingleShardLocality();
    private Supplier<Boolean> transactionIsTraced = () -> false;
    private FDBDatabase recordDatabase;

    public EmbeddedDatabaseFactory(Database database) {
        this.database = database;
    }

    @Override
    public synchronized FDBDatabase getDatabase(String clusterFile) {
        if (recordDatabase == null) {
            recordDatabase = new FDBDatabase(this, clusterFile);
            recordDatabase.setStoreStateCache(storeStateCacheFactory.getCache(recordDatabase));
        }
        return recordDatabase;
    }

    @Override
    public Database open(String clusterFile) {
        return database;
    }

    @Override
    public void shutdown() {
        // The embedded database is closed by its owner; there is no network thread to stop.
    }

    @Override
    public void setTrace(String traceDirectory, String traceLogGroup) {
        // No client trace files in embedded mode.
    }

    @Override
    public void setTraceFormat(FDBTraceFormat traceFormat) {
        // No client trace files in embedded mode.
    }

    @Override
    public void setRunLoopProfilingEnabled(boolean runLoopProfilingEnabled) {
        // There is no network run loop to profile.
    }

    @Override
    public boolean isRunLoopProfilingEnabled() {
        return false;
    }

    @Override
    public void setTransactionIsTracedSupplier(Supplier<Boolean> supplier) {
        this.transactionIsTraced = supplier;
    }

    @Override
    public Supplier<Boolean> getTransactionIsTracedSupplier() {
        return transactionIsTraced;
    }

    @Override
    public void setAPIVersion(APIVersion apiVersion) {
        if (apiVersion != APIVersion.API_VERSION_7_1) {
            throw new IllegalArgumentException("the embedded engine implements API version 710 only, not " + apiVersion);
        }
    }

    @Override
    public APIVersion getAPIVersion() {
        return APIVersion.API_VERSION_7_1;
    }

    @Override
    public FDBLocalityProvider getLocalityProvider() {
        return localityProvider;
    }

    @Override
    public void setLocalityProvider(FDBLocalityProvider localityProvider) {
        this.localityProvider = localityProvider;
    }

    /** One process holds all data, so every range is one shard: the only boundary is its beginning. */
    private static final class SingleShardLocality implements FDBLocalityProvider {
        @Override
        public CloseableAsyncIterator<byte[]> getBoundaryKeys(Transaction tr, byte[] begin, byte[] end) {
            return new CloseableAsyncIterator<>() {
                private boolean consumed = Keys.compare(begin, end) >= 0;

                @Override
                public CompletableFuture<Boolean> onHasNext() {
                    return CompletableFuture.completedFuture(!consumed);
                }

                @Override
                public boolean hasNext() {
                    return !consumed;
                }

                @Override
                public byte[] next() {
                    if (consumed) {
                        throw new NoSuchElementException();
                    }
                    consumed = true;
                    return begin;
                }

                @Override
                public void close() {
                    consumed = true;
                }
            };
        }
    }
}
