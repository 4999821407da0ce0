package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.async.AsyncIterator;
import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The fdb-java API behaviour wcache relies on, written once and run against every engine: the embedded
 * one always, real FoundationDB when one is reachable. Each test starts from an empty user key space.
 */
abstract class DatabaseConformance {
    protected abstract Database database();

    @BeforeEach
    void emptyKeySpace() {
        database().run(tr -> {
            tr.clear(new byte[0], new byte[] {(byte) 0xff});
            return null;
        });
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static byte[] le(long v, int width) {
        return Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), width);
    }

    interface Body {
        void run() throws Exception;
    }

    /** Expects FoundationDB error {@code code}, thrown directly or through a future. */
    static void expectError(int code, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            Throwable c = t;
            while (c != null && !(c instanceof FDBException)) {
                c = c.getCause();
            }
            if (c == null) {
                throw new AssertionError("expected FDB error " + code + " but got " + t, t);
            }
            assertThat(((FDBException) c).getCode()).as("FDB error code of %s", c).isEqualTo(code);
            return;
        }
        fail("expected FDB error " + code + " but nothing failed");
    }

    private void put(String... kv) {
        database().run(tr -> {
            for (int i = 0; i < kv.length; i += 2) {
                tr.set(b(kv[i]), b(kv[i + 1]));
            }
            return null;
        });
    }

    private static List<String> keys(List<KeyValue> kvs) {
        List<String> out = new ArrayList<>();
        for (KeyValue kv : kvs) {
            out.add(s(kv.getKey()));
        }
        return out;
    }

    @Test
    void committedWritesAreVisibleToLaterTransactionsAndOwnReads() {
        try (Transaction tr = database().createTransaction()) {
            tr.set(b("k1"), b("v1"));
            assertThat(s(tr.get(b("k1")).join())).isEqualTo("v1");
            tr.clear(b("k1"));
            assertThat(tr.get(b("k1")).join()).isNull();
            tr.set(b("k1"), b("v2"));
            tr.commit().join();
        }
        assertThat(s(database().run(tr -> tr.get(b("k1")).join()))).isEqualTo("v2");
    }

    @Test
    void rangeReadsMergeUncommittedSetsAndClears() {
        put("a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
        try (Transaction tr = database().createTransaction()) {
            tr.clear(b("b"), b("d"));
            tr.set(b("bb"), b("new"));
            tr.set(b("e"), b("5x"));
            tr.set(b("f"), b("6"));
            List<KeyValue> all = tr.getRange(b("a"), b("z")).asList().join();
            assertThat(keys(all)).containsExactly("a", "bb", "d", "e", "f");
            assertThat(s(all.get(3).getValue())).isEqualTo("5x");
            assertThat(keys(tr.getRange(b("a"), b("z"), 3, true).asList().join())).containsExactly("f", "e", "d");
            assertThat(keys(tr.getRange(b("a"), b("z"), 2).asList().join())).containsExactly("a", "bb");
            assertThat(s(tr.getKey(KeySelector.firstGreaterThan(b("a"))).join())).isEqualTo("bb");
            assertThat(s(tr.getKey(KeySelector.lastLessThan(b("d"))).join())).isEqualTo("bb");
        }
    }

    @Test
    void keySelectorsResolveInEveryForm() {
        put("a", "1", "b", "2", "c", "3", "d", "4");
        database().run(tr -> {
            assertThat(s(tr.getKey(KeySelector.firstGreaterOrEqual(b("b"))).join())).isEqualTo("b");
            assertThat(s(tr.getKey(KeySelector.firstGreaterOrEqual(b("bb"))).join())).isEqualTo("c");
            assertThat(s(tr.getKey(KeySelector.firstGreaterThan(b("b"))).join())).isEqualTo("c");
            assertThat(s(tr.getKey(KeySelector.lastLessThan(b("b"))).join())).isEqualTo("a");
            assertThat(s(tr.getKey(KeySelector.lastLessOrEqual(b("b"))).join())).isEqualTo("b");
            assertThat(s(tr.getKey(KeySelector.lastLessOrEqual(b("bb"))).join())).isEqualTo("b");
            assertThat(s(tr.getKey(KeySelector.firstGreaterOrEqual(b("a")).add(2)).join())).isEqualTo("c");
            assertThat(s(tr.getKey(KeySelector.lastLessOrEqual(b("d")).add(-2)).join())).isEqualTo("b");
            assertThat(tr.getKey(KeySelector.lastLessThan(b("a"))).join()).isEmpty();
            assertThat(tr.getKey(KeySelector.firstGreaterThan(b("d"))).join()).isEqualTo(new byte[] {(byte) 0xff});
            List<KeyValue> kvs = tr.getRange(KeySelector.lastLessOrEqual(b("bb")), KeySelector.firstGreaterThan(b("c"))).asList().join();
            assertThat(keys(kvs)).containsExactly("b", "c");
            kvs = tr.getRange(KeySelector.firstGreaterThan(b("a")), KeySelector.lastLessOrEqual(b("d"))).asList().join();
            assertThat(keys(kvs)).containsExactly("b", "c");
            kvs = tr.getRange(KeySelector.firstGreaterOrEqual(b("c")), KeySelector.firstGreaterOrEqual(b("a"))).asList().join();
            assertThat(kvs).isEmpty();
            return null;
        });
    }

    @Test
    void limitsReverseAndStreamingModesAgree() {
        database().run(tr -> {
            for (int i = 0; i < 300; i++) {
                tr.set(b(String.format("r%04d", i)), b("v" + i));
            }
            return null;
        });
        Range range = new Range(b("r"), b("s"));
        database().run(tr -> {
            for (StreamingMode mode : StreamingMode.values()) {
                if (mode == StreamingMode.EXACT) {
                    continue;
                }
                assertThat(tr.getRange(range, 0, false, mode).asList().join()).as("mode %s", mode).hasSize(300);
                List<KeyValue> tail = tr.getRange(range, 25, true, mode).asList().join();
                assertThat(s(tail.get(0).getKey())).isEqualTo("r0299");
                assertThat(s(tail.get(24).getKey())).isEqualTo("r0275");
                assertThat(tail).hasSize(25);
            }
            assertThat(tr.getRange(range, 7, false, StreamingMode.EXACT).asList().join()).hasSize(7);
            expectError(2210, () -> tr.getRange(range, 0, false, StreamingMode.EXACT).asList().join());
            return null;
        });
    }

    @Test
    void largeRangesStreamThroughTheAsyncIterator() {
        int total = 20_000;
        for (int chunk = 0; chunk < total; chunk += 5_000) {
            int from = chunk;
            database().run(tr -> {
                for (int i = from; i < from + 5_000; i++) {
                    tr.set(b(String.format("big%06d", i)), new byte[50]);
                }
                return null;
            });
        }
        int counted = database().run(tr -> {
            AsyncIterator<KeyValue> it = tr.getRange(Range.startsWith(b("big"))).iterator();
            int n = 0;
            byte[] previous = null;
            while (it.onHasNext().join()) {
                KeyValue kv = it.next();
                if (previous != null) {
                    assertThat(Arrays.compareUnsigned(previous, kv.getKey())).isNegative();
                }
                previous = kv.getKey();
                n++;
            }
            return n;
        });
        assertThat(counted).isEqualTo(total);
        String first = database().run(tr -> {
            AsyncIterator<KeyValue> it = tr.getRange(Range.startsWith(b("big")), 0, true, StreamingMode.ITERATOR).iterator();
            String k = s(it.next().getKey());
            it.cancel();
            return k;
        });
        assertThat(first).isEqualTo("big019999");
    }

    @Test
    void atomicMutationsFollowFoundationDbSemantics() {
        database().run(tr -> {
            tr.set(b("add"), le(255, 2));
            tr.set(b("and"), new byte[] {0x0f, 0x0f});
            tr.set(b("or"), new byte[] {0x01});
            tr.set(b("xor"), new byte[] {(byte) 0xff});
            tr.set(b("max"), le(10, 4));
            tr.set(b("min"), le(10, 4));
            tr.set(b("bmin"), b("m"));
            tr.set(b("bmax"), b("m"));
            tr.set(b("app"), b("ab"));
            tr.set(b("full"), new byte[99_990]);
            tr.set(b("cac1"), b("same"));
            tr.set(b("cac2"), b("other"));
            return null;
        });
        database().run(tr -> {
            tr.mutate(MutationType.ADD, b("add"), le(1, 2));
            tr.mutate(MutationType.ADD, b("addmissing"), le(7, 4));
            tr.mutate(MutationType.BIT_AND, b("and"), new byte[] {0x3c, 0x3c});
            tr.mutate(MutationType.BIT_AND, b("andmissing"), new byte[] {0x55});
            tr.mutate(MutationType.BIT_OR, b("or"), new byte[] {0x02, 0x04});
            tr.mutate(MutationType.BIT_XOR, b("xor"), new byte[] {0x0f});
            tr.mutate(MutationType.MAX, b("max"), le(9, 4));
            tr.mutate(MutationType.MIN, b("min"), le(9, 4));
            tr.mutate(MutationType.BYTE_MIN, b("bmin"), b("a"));
            tr.mutate(MutationType.BYTE_MAX, b("bmax"), b("a"));
            tr.mutate(MutationType.APPEND_IF_FITS, b("app"), b("cd"));
            tr.mutate(MutationType.APPEND_IF_FITS, b("full"), new byte[20]);
            tr.mutate(MutationType.COMPARE_AND_CLEAR, b("cac1"), b("same"));
            tr.mutate(MutationType.COMPARE_AND_CLEAR, b("cac2"), b("same"));
            // Read-your-writes over an atomic operation on a base only the database knows.
            assertThat(tr.get(b("add")).join()).isEqualTo(le(256, 2));
            return null;
        });
        database().run(tr -> {
            assertThat(tr.get(b("add")).join()).isEqualTo(le(256, 2));
            assertThat(tr.get(b("addmissing")).join()).isEqualTo(le(7, 4));
            assertThat(tr.get(b("and")).join()).isEqualTo(new byte[] {0x0c, 0x0c});
            assertThat(tr.get(b("andmissing")).join()).isEqualTo(new byte[] {0x55});
            assertThat(tr.get(b("or")).join()).isEqualTo(new byte[] {0x03, 0x04});
            assertThat(tr.get(b("xor")).join()).isEqualTo(new byte[] {(byte) 0xf0});
            assertThat(tr.get(b("max")).join()).isEqualTo(le(10, 4));
            assertThat(tr.get(b("min")).join()).isEqualTo(le(9, 4));
            assertThat(s(tr.get(b("bmin")).join())).isEqualTo("a");
            assertThat(s(tr.get(b("bmax")).join())).isEqualTo("m");
            assertThat(s(tr.get(b("app")).join())).isEqualTo("abcd");
            assertThat(tr.get(b("full")).join()).hasSize(99_990);
            assertThat(tr.get(b("cac1")).join()).isNull();
            assertThat(s(tr.get(b("cac2")).join())).isEqualTo("other");
            return null;
        });
    }

    @Test
    void versionstampedKeysAndValuesCarryTheCommitVersionstamp() {
        Transaction tr = database().createTransaction();
        byte[] key = Tuple.from("vs", Versionstamp.incomplete(3)).packWithVersionstamp();
        tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, key, b("payload"));
        byte[] valueParam = Tuple.from(Versionstamp.incomplete(5)).packWithVersionstamp();
        tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, b("vsvalue"), valueParam);
        expectError(1036, () -> tr.get(b("vsvalue")).join());
        CompletableFuture<byte[]> stampFuture = tr.getVersionstamp();
        tr.commit().join();
        byte[] stamp = stampFuture.join();
        tr.close();
        assertThat(stamp).hasSize(10);
        byte[] expectedKey = Tuple.from("vs", Versionstamp.complete(stamp, 3)).pack();
        database().run(t -> {
            assertThat(s(t.get(expectedKey).join())).isEqualTo("payload");
            Tuple value = Tuple.fromBytes(t.get(b("vsvalue")).join());
            assertThat(value.getVersionstamp(0)).isEqualTo(Versionstamp.complete(stamp, 5));
            return null;
        });
        long committed = ByteBuffer.wrap(stamp).getLong();
        assertThat(committed).isPositive();

        Transaction readOnly = database().createTransaction();
        readOnly.get(b("vsvalue")).join();
        CompletableFuture<byte[]> none = readOnly.getVersionstamp();
        readOnly.commit().join();
        assertThat(readOnly.getCommittedVersion()).isEqualTo(-1L);
        expectError(2021, none::join);
        readOnly.close();
    }

    /** The key the Record Layer bumps when a store's state changes and reads at every store open. */
    private static final byte[] META_DATA_VERSION = Arrays.copyOf(new byte[] {(byte) 0xff}, 1 + 16);

    static {
        System.arraycopy(b("/metadataVersion"), 0, META_DATA_VERSION, 1, 16);
    }

    private void bumpMetaDataVersion() {
        database().run(tr -> {
            tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, META_DATA_VERSION, new byte[14]);
            return null;
        });
    }

    private byte[] metaDataVersion(Transaction tr) {
        return tr.snapshot().get(META_DATA_VERSION).join();
    }

    @Test
    void theMetaDataVersionKeyReadsAsOfEachTransactionsReadVersion() {
        bumpMetaDataVersion();
        Transaction before = database().createTransaction();
        byte[] first = metaDataVersion(before);
        assertThat(first).as("a versionstamp").hasSize(10);
        assertThat(database().run(this::metaDataVersion)).as("read again, unchanged").isEqualTo(first);

        bumpMetaDataVersion();
        byte[] second = database().run(this::metaDataVersion);
        assertThat(second).as("a transaction begun after the bump sees it").isNotEqualTo(first);
        assertThat(Arrays.compareUnsigned(second, first)).isPositive();
        assertThat(database().run(this::metaDataVersion)).isEqualTo(second);
        assertThat(metaDataVersion(before)).as("a transaction begun before the bump does not see it").isEqualTo(first);
        before.close();
    }

    @Test
    void readWriteConflictsFailWithNotCommitted() {
        put("x", "0", "y", "0");
        // A read of x, overwritten by a later commit, conflicts.
        Transaction t1 = database().createTransaction();
        t1.get(b("x")).join();
        database().run(tr -> {
            tr.set(b("x"), b("1"));
            return null;
        });
        t1.set(b("y"), b("1"));
        expectError(1020, () -> t1.commit().join());
        t1.close();

        // A snapshot read does not.
        Transaction t2 = database().createTransaction();
        t2.snapshot().get(b("x")).join();
        database().run(tr -> {
            tr.set(b("x"), b("2"));
            return null;
        });
        t2.set(b("y"), b("2"));
        t2.commit().join();
        t2.close();

        // A range read conflicts with an insert inside the range, not with one outside it.
        Transaction t3 = database().createTransaction();
        t3.getRange(b("m"), b("p")).asList().join();
        database().run(tr -> {
            tr.set(b("q"), b("outside"));
            return null;
        });
        t3.set(b("y"), b("3"));
        t3.commit().join();
        t3.close();
        Transaction t4 = database().createTransaction();
        t4.getRange(b("m"), b("p")).asList().join();
        database().run(tr -> {
            tr.set(b("n"), b("inside"));
            return null;
        });
        t4.set(b("y"), b("4"));
        expectError(1020, () -> t4.commit().join());
        t4.close();

        // Explicit conflict ranges: a write conflict range without a write still conflicts.
        Transaction t5 = database().createTransaction();
        t5.getReadVersion().join();
        t5.addReadConflictKey(b("lock"));
        database().run(tr -> {
            tr.addWriteConflictRange(b("loc"), b("lod"));
            tr.set(b("unrelated"), b("1"));
            return null;
        });
        t5.set(b("y"), b("5"));
        expectError(1020, () -> t5.commit().join());
        t5.close();
    }

    @Test
    void snapshotReadsSeeTheReadVersionState() {
        put("mv", "old");
        Transaction reader = database().createTransaction();
        long rv = reader.getReadVersion().join();
        Transaction writer = database().createTransaction();
        writer.set(b("mv"), b("new"));
        writer.commit().join();
        assertThat(writer.getCommittedVersion()).isGreaterThan(rv);
        assertThat(s(reader.get(b("mv")).join())).isEqualTo("old");
        assertThat(keys(reader.getRange(b("m"), b("n")).asList().join())).containsExactly("mv");
        Transaction later = database().createTransaction();
        assertThat(later.getReadVersion().join()).isGreaterThanOrEqualTo(writer.getCommittedVersion());
        assertThat(s(later.get(b("mv")).join())).isEqualTo("new");
        reader.close();
        writer.close();
        later.close();
    }

    @Test
    void transactionsOlderThanTheMvccWindowAreTooOldAndRetryable() throws Exception {
        put("old", "1");
        Transaction tr = database().createTransaction();
        tr.getReadVersion().join();
        TimeUnit.MILLISECONDS.sleep(6_000);
        // Real FoundationDB needs a newer version to exist before it forgets the old one.
        put("other", "1");
        expectError(1007, () -> {
            tr.get(b("old")).join();
            tr.set(b("x"), b("1"));
            tr.commit().join();
        });
        Transaction retried = tr.onError(new EmbeddedFdbException("transaction_too_old", 1007)).join();
        assertThat(s(retried.get(b("old")).join())).isEqualTo("1");
        retried.close();
    }

    @Test
    void onErrorRetriesRetryableErrorsAndResetsTheTransaction() {
        Transaction tr = database().createTransaction();
        tr.set(b("lost"), b("1"));
        Transaction same = tr.onError(new EmbeddedFdbException("not_committed", 1020)).join();
        assertThat(same.get(b("lost")).join()).isNull();
        expectError(2101, () -> same.onError(new EmbeddedFdbException("transaction_too_large", 2101)).join());
        Transaction limited = database().createTransaction();
        limited.options().setRetryLimit(1);
        limited.onError(new EmbeddedFdbException("not_committed", 1020)).join();
        expectError(1020, () -> limited.onError(new EmbeddedFdbException("not_committed", 1020)).join());
        CompletableFuture<Transaction> other = database().createTransaction().onError(new IllegalArgumentException("boom"));
        assertThat(other).isCompletedExceptionally();
        tr.close();
        limited.close();
    }

    @Test
    void sizeLimitsFailWithFoundationDbErrors() {
        expectError(2102, () -> database().run(tr -> {
            tr.set(new byte[10_001], b("v"));
            return null;
        }));
        expectError(2103, () -> database().run(tr -> {
            tr.set(b("big"), new byte[100_001]);
            return null;
        }));
        expectError(2101, () -> database().run(tr -> {
            for (int i = 0; i < 110; i++) {
                tr.set(b("huge" + i), new byte[99_000]);
            }
            return null;
        }));
        database().run(tr -> {
            tr.set(new byte[10_000], new byte[100_000]);
            return null;
        });
    }

    @Test
    void timedOutTransactionFailsWith1031() throws Exception {
        Transaction tr = database().createTransaction();
        tr.options().setTimeout(100);
        TimeUnit.MILLISECONDS.sleep(300);
        expectError(1031, () -> tr.get(b("any")).join());
        expectError(1031, () -> tr.onError(new EmbeddedFdbException("transaction_timed_out", 1031)).join());
        tr.close();
    }

    @Test
    void cancelledTransactionFailsWith1025() {
        Transaction tr = database().createTransaction();
        tr.set(b("c"), b("1"));
        tr.cancel();
        expectError(1025, () -> tr.commit().join());
        tr.close();
        byte[] after = database().run(t -> t.get(b("c")).join());
        assertThat(after).isNull();
    }

    @Test
    void watchFiresWhenTheValueChanges() throws Exception {
        put("w", "1");
        Transaction tr = database().createTransaction();
        CompletableFuture<Void> watch = tr.watch(b("w"));
        tr.commit().join();
        tr.close();
        assertThat(watch).isNotDone();
        put("w", "2");
        watch.get(10, TimeUnit.SECONDS);
    }

    @Test
    void runAsyncRetriesConflictsUntilCommitted() {
        put("counter", "0");
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(database().runAsync(tr -> tr.get(b("counter")).thenAccept(v -> {
                tr.set(b("counter"), b(Integer.toString(Integer.parseInt(s(v)) + 1)));
            })));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        assertThat(s(database().run(tr -> tr.get(b("counter")).join()))).isEqualTo("8");
    }
}
