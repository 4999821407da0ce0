package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.DatabaseOptions;
import com.apple.foundationdb.EventKeeper;
import com.apple.foundationdb.FDBError;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Tenant;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * fdb-java's {@link Database} on an in-process RocksDB directory: one process, durable, serializable.
 * Transactions follow FoundationDB's semantics (see {@link EmbeddedTransaction}); {@link #run} and
 * {@link #runAsync} retry through {@code onError} exactly as fdb-java's own database does.
 */
public final class EmbeddedDatabase implements Database {
    /** Runs commit completions and watch callbacks, so clients never run on the committer thread. */
    static final ExecutorService CALLBACKS = Executors.newCachedThreadPool(new ThreadFactoryNamed("wcache-fdb-callback"));

    private final VersionedStore store;
    private final Executor executor;
    private final DatabaseOptions options = new DatabaseOptions((code, param) -> {
        // Database options (datacenter, location cache, default timeouts) have nothing to tune here.
    });

    private EmbeddedDatabase(VersionedStore store, Executor executor) {
        this.store = store;
        this.executor = executor;
    }

    /** The versioned store this database runs on (tests). */
    VersionedStore store() {
        return store;
    }

    /**
     * Opens the database stored in {@code directory}, creating it if needed.
     *
     * @throws IllegalStateException naming the directory if another process (or this one) holds it
     */
    public static EmbeddedDatabase open(Path directory) {
        NativeFreeFdbClient.install();
        return new EmbeddedDatabase(VersionedStore.open(directory), CALLBACKS);
    }

    /** The directory this database lives in. */
    public Path directory() {
        return store.directory();
    }

    /** The newest committed version. */
    public long committedVersion() {
        return store.committedVersion();
    }

    /** Tells {@code listener} of every commit from now on (see {@link CommitListener}). */
    public void addCommitListener(CommitListener listener) {
        store.addListener(listener);
    }

    /** Stops telling {@code listener} of commits. */
    public void removeCommitListener(CommitListener listener) {
        store.removeListener(listener);
    }

    @Override
    public Transaction createTransaction(Executor e) {
        return new EmbeddedTransaction(this, store, e);
    }

    @Override
    public Transaction createTransaction(Executor e, EventKeeper eventKeeper) {
        return createTransaction(e);
    }

    @Override
    public Transaction createTransaction() {
        return createTransaction(executor);
    }

    @Override
    public Tenant openTenant(Tuple tenantName) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "tenants");
    }

    @Override
    public Tenant openTenant(byte[] tenantName, Executor e) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "tenants");
    }

    @Override
    public Tenant openTenant(Tuple tenantName, Executor e) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "tenants");
    }

    @Override
    public Tenant openTenant(byte[] tenantName, Executor e, EventKeeper eventKeeper) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "tenants");
    }

    @Override
    public Tenant openTenant(Tuple tenantName, Executor e, EventKeeper eventKeeper) {
        throw EmbeddedFdbException.of(FDBError.UNSUPPORTED_OPERATION, "tenants");
    }

    @Override
    public DatabaseOptions options() {
        return options;
    }

    @Override
    public double getMainThreadBusyness() {
        return 0;
    }

    @Override
    public Executor getExecutor() {
        return executor;
    }

    @Override
    public <T> T read(Function<? super ReadTransaction, T> retryable, Executor e) {
        return run(retryable::apply, e);
    }

    @Override
    public <T> CompletableFuture<T> readAsync(Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable, Executor e) {
        return runAsync(retryable::apply, e);
    }

    @Override
    public <T> T run(Function<? super Transaction, T> retryable, Executor e) {
        Transaction t = createTransaction(e);
        try {
            while (true) {
                try {
                    T result = retryable.apply(t);
                    t.commit().join();
                    return result;
                } catch (RuntimeException err) {
                    try {
                        t = t.onError(err).join();
                    } catch (CompletionException retryFailed) {
                        Throwable cause = retryFailed.getCause();
                        throw cause instanceof RuntimeException re ? re : retryFailed;
                    }
                }
            }
        } finally {
            t.close();
        }
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<? super Transaction, ? extends CompletableFuture<T>> retryable, Executor e) {
        Transaction t = createTransaction(e);
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(t, retryable, e, result);
        return result.whenComplete((v, err) -> t.close());
    }

    private <T> void attempt(Transaction t, Function<? super Transaction, ? extends CompletableFuture<T>> retryable,
                             Executor e, CompletableFuture<T> result) {
        CompletableFuture<T> body;
        try {
            body = retryable.apply(t);
        } catch (RuntimeException err) {
            body = CompletableFuture.failedFuture(err);
        }
        body.thenCompose(value -> t.commit().thenApply(ignored -> value))
                .whenCompleteAsync((value, err) -> {
                    if (err == null) {
                        result.complete(value);
                        return;
                    }
                    t.onError(err).whenComplete((same, retryErr) -> {
                        if (retryErr != null) {
                            result.completeExceptionally(retryErr instanceof CompletionException && retryErr.getCause() != null
                                    ? retryErr.getCause() : retryErr);
                        } else {
                            attempt(same, retryable, e, result);
                        }
                    });
                }, e);
    }

    @Override
    public void close() {
        store.close();
    }

    /** Names pool threads and makes them daemons, so an unclosed database never keeps a JVM alive. */
    private record ThreadFactoryNamed(String prefix, AtomicInteger counter) implements java.util.concurrent.ThreadFactory {
        ThreadFactoryNamed(String prefix) {
            this(prefix, new AtomicInteger());
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + "-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
