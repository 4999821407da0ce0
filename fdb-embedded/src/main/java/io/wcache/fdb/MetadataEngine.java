package io.wcache.fdb;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import com.apple.foundationdb.Database;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabaseFactory;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import io.wcache.fdb.embedded.EmbeddedDatabaseFactory;
import io.wcache.fdb.embedded.NativeFreeFdbClient;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the metadata database named by a {@code metadata.engine} spec: {@code embedded:<dir>} (the
 * in-process RocksDB engine, the default) or {@code fdb:<cluster-file>} (a real FoundationDB cluster
 * through fdb-java and libfdb_c). Both give the same fdb-java {@link Database} and Record Layer
 * {@link FDBDatabase}, so callers never branch on the engine.
 */
public final class MetadataEngine implements AutoCloseable {
    /** The spec used when none is configured. */
    public static final String DEFAULT_SPEC = "embedded:./data/meta";

    private final String description;
    private final Database database;
    private final FDBDatabase recordDatabase;
    private final boolean ownsDatabase;
    private final ExecutorService continuations;

    private MetadataEngine(String description, Database database, FDBDatabase recordDatabase,
                           boolean ownsDatabase, ExecutorService continuations) {
        this.description = description;
        this.database = database;
        this.recordDatabase = recordDatabase;
        this.ownsDatabase = ownsDatabase;
        this.continuations = continuations;
    }

    /**
     * Opens the engine named by {@code spec}.
     *
     * @throws IllegalArgumentException naming the spec when it is not {@code embedded:<dir>} or {@code fdb:<file>}
     * @throws IllegalStateException when the embedded directory is held by another process
     */
    public static MetadataEngine open(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("metadata.engine spec is missing; expected embedded:<dir> or fdb:<cluster-file>");
        }
        String trimmed = spec.trim();
        int colon = trimmed.indexOf(':');
        String kind = colon < 0 ? "" : trimmed.substring(0, colon);
        String target = colon < 0 ? "" : trimmed.substring(colon + 1).trim();
        if (target.isEmpty() || !(kind.equals("embedded") || kind.equals("fdb"))) {
            throw new IllegalArgumentException("invalid metadata.engine '" + spec
                    + "': expected embedded:<dir> or fdb:<cluster-file>");
        }
        if (kind.equals("embedded")) {
            Path dir = Path.of(target).toAbsolutePath().normalize();
            EmbeddedDatabase db = EmbeddedDatabase.open(dir);
            EmbeddedDatabaseFactory factory = new EmbeddedDatabaseFactory(db);
            // The Record Layer's default executor is the common pool, whose parallelism is
            // cores - 1: on a 2-core machine that is 1, and CompletableFuture then starts a new
            // thread for every async continuation. A pool of our own keeps a few warm threads.
            ExecutorService continuations = newContinuationPool();
            factory.setExecutor(continuations);
            return new MetadataEngine("embedded:" + dir, db, factory.getDatabase(dir.toString()), true, continuations);
        }
        return openFoundationDb(spec, Path.of(target).toAbsolutePath().normalize());
    }

    private static MetadataEngine openFoundationDb(String spec, Path clusterFile) {
        if (NativeFreeFdbClient.isInstalled()) {
            throw new IllegalStateException("invalid metadata.engine '" + spec + "': this JVM already runs the embedded "
                    + "engine, which prepared the FDB client classes without libfdb_c; use one engine kind per process");
        }
        if (!Files.isRegularFile(clusterFile)) {
            throw new IllegalArgumentException("invalid metadata.engine '" + spec + "': cluster file " + clusterFile + " not found");
        }
        FDBDatabaseFactory factory = FDBDatabaseFactory.instance();
        FDBDatabase recordDatabase = factory.getDatabase(clusterFile.toString());
        return new MetadataEngine("fdb:" + clusterFile, recordDatabase.database(), recordDatabase, false, null);
    }

    /** Worker threads for the Record Layer's continuations, at least four whatever the core count. */
    private static ExecutorService newContinuationPool() {
        AtomicInteger n = new AtomicInteger();
        return new ForkJoinPool(Math.max(4, Runtime.getRuntime().availableProcessors()), pool -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName(CONTINUATION_THREAD_PREFIX + n.incrementAndGet());
            return t;
        }, null, true);
    }

    /** Name prefix of the threads that run the Record Layer's continuations in embedded mode. */
    public static final String CONTINUATION_THREAD_PREFIX = "wcache-metadata-";

    /** The Record Layer database, for {@code FDBRecordStore} and {@code FDBDatabase.run}. */
    public FDBDatabase recordDatabase() {
        return recordDatabase;
    }

    /** The raw fdb-java database. */
    public Database database() {
        return database;
    }

    /** The engine and its absolute location, e.g. {@code embedded:/srv/wcache/meta}. */
    public String description() {
        return description;
    }

    /** Flushes and releases the embedded directory; for real FoundationDB, closes the Record Layer handle. */
    @Override
    public void close() {
        recordDatabase.close();
        if (ownsDatabase) {
            database.close();
        }
        if (continuations != null) {
            continuations.shutdown();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
