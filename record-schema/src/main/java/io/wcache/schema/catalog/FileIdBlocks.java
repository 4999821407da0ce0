package io.wcache.schema.catalog;

import com.apple.foundationdb.record.provider.foundationdb.FDBStoreTimer;
import com.apple.foundationdb.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out file ids. Ids are reserved from the counters in blocks of {@link #BLOCK}, in a
 * transaction of their own, so that opening a session never contends on one key; an id handed
 * out and never used is simply skipped.
 */
final class FileIdBlocks {

    private static final Logger LOG = LoggerFactory.getLogger(FileIdBlocks.class);
    static final int BLOCK = 1000;
    private static final Tuple KEY = Tuple.from("fileIdBlock");

    private final CatalogTransactions transactions;
    // Guarded by this: the current block of reserved file ids [nextId, idLimit).
    private long nextId;
    private long idLimit;

    FileIdBlocks(CatalogTransactions transactions) {
        this.transactions = transactions;
    }

    long next() {
        return next(1)[0];
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
