package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.tuple.Tuple;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out file ids. Ids are reserved from the counters in blocks of {@link #BLOCK}, in a
 * transaction of their own, so that opening a session never contends on one key; an id handed
 * out and never used is simply skipped.
 *
 * <p>It also remembers the ids it handed out to writers ({@link #reserve()}) that no batch has
 * opened a session with yet: such an id is known to be unused (a block is never handed out twice),
 * so the batch that opens its session need not look it up in the file-id index. An id this
 * Catalog did not hand out, or one claimed before, is looked up as always. The memory is bounded:
 * past {@link #MAX_REMEMBERED} unclaimed ids (reserved ids whose session never came) it starts
 * again, and the ids it forgot are looked up.
 */
final class FileIdBlocks {

    private static final Logger LOG = LoggerFactory.getLogger(FileIdBlocks.class);
    static final int BLOCK = 1000;
    static final int MAX_REMEMBERED = 65_536;
    private static final Tuple KEY = Tuple.from("fileIdBlock");

    private final CatalogTransactions transactions;
    // Guarded by this: the current block of reserved file ids [nextId, idLimit).
    private long nextId;
    private long idLimit;
    private final Set<Long> unclaimed = ConcurrentHashMap.newKeySet();

    FileIdBlocks(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    long next() {
        return next(1)[0];
    }

    /** A fresh id for a writer to open a session with later, remembered as unused until {@link #claimUnused}. */
    long reserve() {
        long id = next();
        if (unclaimed.size() >= MAX_REMEMBERED) {
            unclaimed.clear();
        }
        unclaimed.add(id);
        return id;
    }

    /** True once for an id from {@link #reserve()} no batch has claimed since: no session was opened with it. */
    boolean claimUnused(long id) {
        return unclaimed.remove(id);
    }

    synchronized long[] next(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            if (nextId >= idLimit) {
                long start = reserveBlock();
                nextId = start;
                idLimit = start + BLOCK;
                LOG.debug("event=file_id_block_reserved catalog={} first={} count={}", transactions.name(), start, BLOCK);
            }
            ids[i] = nextId++;
        }
        return ids;
    }

    private long reserveBlock() {
        return transactions.runOnCounters((ctx, counters) -> {
            byte[] key = counters.pack(KEY);
            byte[] value = ctx.asyncToSync(FDBStoreTimer.Waits.WAIT_LOAD_RECORD, ctx.ensureActive().get(key));
            long first = value == null ? 1 : Tuple.fromBytes(value).getLong(0);
            ctx.ensureActive().set(key, Tuple.from(first + BLOCK).pack());
            return first;
        });
    }
}
