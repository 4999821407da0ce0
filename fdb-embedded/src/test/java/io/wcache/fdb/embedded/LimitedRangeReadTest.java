package io.wcache.fdb.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;
import org.rocksdb.RocksDB;

/**
 * A range read with a limit stops at its last row. A path overwritten many times keeps the deleted
 * keys of its past versions beside the live one until RocksDB compacts them away; a read that
 * stepped past its last wanted row walked all of them, so each read of a hot path's newest
 * version cost more with every overwrite (PUT p50 from 1.5 ms to 28 ms over 18,000 overwrites of
 * one key before a memtable flush).
 */
class LimitedRangeReadTest {

    @TempDir
    Path dir;

    private static final int DELETED = 5_000;

    @Test
    void aLimitedReadOfARangeFullOfDeletedKeysDoesNotWalkThem() {
        try (EmbeddedDatabase db = EmbeddedDatabase.open(dir)) {
            // Keys 0..DELETED-1 written and deleted, key DELETED live: the shape a hot path's versions take.
            for (int batch = 0; batch < DELETED; batch += 500) {
                Transaction tr = db.createTransaction();
                for (int i = batch; i < batch + 500; i++) {
                    tr.set(key(i), new byte[] {1});
                }
                tr.commit().join();
                tr.close();
            }
            Transaction del = db.createTransaction();
            del.set(key(DELETED), new byte[] {2});
            for (int i = 0; i < DELETED; i++) {
                del.clear(key(i));
            }
            del.commit().join();
            del.close();

            byte[] begin = Tuple.from("v").range().begin;
            byte[] end = Tuple.from("v").range().end;
            RocksDB rocks = db.store().rocksForTests();
            rocks.setPerfLevel(PerfLevel.ENABLE_COUNT);
            try {
                PerfContext perf = rocks.getPerfContext();

                perf.reset();
                List<KeyValue> newest = read(db, begin, end, 1, true);
                assertThat(newest).hasSize(1);
                assertThat(Tuple.fromBytes(newest.get(0).getKey()).getLong(1)).isEqualTo(DELETED);
                assertThat(perf.getInternalDeleteSkippedCount())
                        .as("deleted keys stepped over by a reverse read of one row")
                        .isLessThan(100);

                perf.reset();
                List<KeyValue> first = read(db, begin, end, 1, false);
                assertThat(first).hasSize(1);
                assertThat(Tuple.fromBytes(first.get(0).getKey()).getLong(1)).isEqualTo(DELETED);
                // A forward read must pass the deleted keys before the live one: the walk is there, once.
                assertThat(perf.getInternalDeleteSkippedCount()).isGreaterThanOrEqualTo(DELETED);
            } finally {
                rocks.setPerfLevel(PerfLevel.DISABLE);
            }
        }
    }

    private static List<KeyValue> read(EmbeddedDatabase db, byte[] begin, byte[] end, int limit, boolean reverse) {
        Transaction tr = db.createTransaction();
        try {
            return tr.getRange(begin, end, limit, reverse).asList().join();
        } finally {
            tr.close();
        }
    }

    private static byte[] key(long i) {
        return Tuple.from("v", i).pack();
    }
}
