package io.wcache.schema.catalog;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBError;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.record.provider.foundationdb.FDBDatabase;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import io.wcache.fdb.embedded.EmbeddedDatabaseFactory;
import io.wcache.fdb.embedded.EmbeddedFdbException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real embedded engine behind a wrapper that loses commit replies, as real FoundationDB may:
 * an armed commit is really committed (or, for {@link #loseNextCommits(int, boolean)} with
 * {@code landed=false}, really not) and then answered with {@code commit_unknown_result} (1021).
 * Every other call goes to the engine unchanged.
 */
final class LostCommitReplies implements AutoCloseable {

    private final EmbeddedDatabase engine;
    private final FDBDatabase recordDatabase;
    private final AtomicInteger toLose = new AtomicInteger();
    private volatile boolean landed = true;
    private final AtomicInteger lost = new AtomicInteger();

    LostCommitReplies(Path dir) {
        this.engine = EmbeddedDatabase.open(dir);
        Database wrapped = (Database) Proxy.newProxyInstance(Database.class.getClassLoader(), new Class<?>[] {Database.class},
                (proxy, m, args) -> {
                    Object r = invoke(engine, m, args);
                    return r instanceof Transaction t ? wrap(t) : r;
                });
        this.recordDatabase = new EmbeddedDatabaseFactory(wrapped).getDatabase(dir.toString());
    }

    FDBDatabase recordDatabase() {
        return recordDatabase;
    }

    /** The next {@code n} commits are answered with 1021; {@code landed}: whether they really commit first. */
    void loseNextCommits(int n, boolean landed) {
        this.landed = landed;
        toLose.set(n);
    }

    /** How many commit replies were lost so far. */
    int lost() {
        return lost.get();
    }

    private Transaction wrap(Transaction real) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("commit") && m.getParameterCount() == 0 && toLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                lost.incrementAndGet();
                EmbeddedFdbException unknown = EmbeddedFdbException.of(FDBError.COMMIT_UNKNOWN_RESULT);
                if (!landed) {
                    real.cancel();
                    return CompletableFuture.failedFuture(unknown);
                }
                return real.commit().thenCompose(v -> CompletableFuture.<Void>failedFuture(unknown));
            }
            return invoke(real, m, args);
        };
        return (Transaction) Proxy.newProxyInstance(Transaction.class.getClassLoader(), new Class<?>[] {Transaction.class}, h);
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public void close() {
        recordDatabase.close();
        engine.close();
    }
}
