package io.wcache.fdb.embedded;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serializability: random transactions run concurrently; replaying the committed ones one after another in
 * (commit version, batch order) on a sequential model reproduces every value they read. Non-snapshot reads
 * must match the state just before the transaction in that order; snapshot reads (and reads of read-only
 * transactions) the state at their read version; both overlaid with the transaction's own earlier writes.
 */
class SerializableCommitsProperties {
    private static Path dir;
    private static EmbeddedDatabase db;
    private static ExecutorService pool;

    sealed interface Op {
    }

    record Get(int key) implements Op {
    }

    record SnapshotGet(int key) implements Op {
    }

    record GetRange(int from, int to, int limit, boolean reverse, boolean snapshot) implements Op {
    }

    record Set(int key, long value) implements Op {
    }

    record Clear(int key) implements Op {
    }

    record ClearRange(int from, int to) implements Op {
    }

    record Add(int key, long delta) implements Op {
    }

    record Pause(int millis) implements Op {
    }

    /** What one transaction did: its reads' results in order, and where it landed. */
    record Outcome(List<Op> ops, List<Object> observed, long readVersion, long commitVersion, int order, boolean committed) {
    }

    @BeforeContainer
    static void open() throws Exception {
        dir = Files.createTempDirectory("serializable");
        db = EmbeddedDatabase.open(dir);
        pool = Executors.newFixedThreadPool(6);
    }

    @AfterContainer
    static void close() {
        pool.shutdownNow();
        db.close();
    }

    @Provide
    Arbitrary<List<List<Op>>> workloads() {
        Arbitrary<Integer> key = Arbitraries.integers().between(0, 7);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, key.map(Get::new)),
                net.jqwik.api.Tuple.of(1, key.map(SnapshotGet::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(key, key, Arbitraries.integers().between(0, 4),
                        Arbitraries.of(true, false), Arbitraries.of(true, false))
                        .as((a, b, limit, reverse, snap) -> (Op) new GetRange(Math.min(a, b), Math.max(a, b) + 1, limit, reverse, snap))),
                net.jqwik.api.Tuple.of(3, Combinators.combine(key, Arbitraries.longs().between(0, 1_000)).as(Set::new)),
                net.jqwik.api.Tuple.of(1, key.map(Clear::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(key, key).as((a, b) -> (Op) new ClearRange(Math.min(a, b), Math.max(a, b) + 1))),
                net.jqwik.api.Tuple.of(2, Combinators.combine(key, Arbitraries.longs().between(1, 9)).as(Add::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 2).map(Pause::new)));
        return op.list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(10).ofMaxSize(30);
    }

    private static byte[] key(int k) {
        return new byte[] {'k', (byte) ('0' + k)};
    }

    private static byte[] encode(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static Long decode(byte[] v) {
        return v == null ? null : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Property(tries = 25)
    void committedTransactionsAreSerializableInCommitOrder(@ForAll("workloads") List<List<Op>> workload) throws Exception {
        db.run(tr -> {
            tr.clear(new byte[] {'k'}, new byte[] {'l'});
            return null;
        });
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (List<Op> program : workload) {
            futures.add(pool.submit(() -> {
                start.await();
                return execute(program);
            }));
        }
        start.countDown();
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<Outcome> f : futures) {
            outcomes.add(f.get(30, TimeUnit.SECONDS));
        }
        verify(outcomes);
    }

    private static Outcome execute(List<Op> ops) {
        Transaction tr = db.createTransaction();
        List<Object> observed = new ArrayList<>();
        boolean writes = false;
        try {
            long rv = tr.getReadVersion().join();
            for (Op op : ops) {
                if (op instanceof Get g) {
                    observed.add(decode(tr.get(key(g.key)).join()));
                } else if (op instanceof SnapshotGet g) {
                    observed.add(decode(tr.snapshot().get(key(g.key)).join()));
                } else if (op instanceof GetRange r) {
                    ReadTransaction view = r.snapshot ? tr.snapshot() : tr;
                    List<String> rows = new ArrayList<>();
                    for (KeyValue kv : view.getRange(key(r.from), key(r.to), r.limit, r.reverse).asList().join()) {
                        rows.add((char) kv.getKey()[1] + "=" + decode(kv.getValue()));
                    }
                    observed.add(rows);
                } else if (op instanceof Set s) {
                    tr.set(key(s.key), encode(s.value));
                    writes = true;
                } else if (op instanceof Clear c) {
                    tr.clear(key(c.key));
                    writes = true;
                } else if (op instanceof ClearRange c) {
                    tr.clear(key(c.from), key(c.to));
                    writes = true;
                } else if (op instanceof Add a) {
                    tr.mutate(MutationType.ADD, key(a.key), encode(a.delta));
                    writes = true;
                } else if (op instanceof Pause p) {
                    Thread.sleep(p.millis);
                }
            }
            var stamp = tr.getVersionstamp();
            tr.commit().join();
            if (!writes) {
                return new Outcome(ops, observed, rv, -1, 0, true);
            }
            byte[] vs = stamp.join();
            ByteBuffer bb = ByteBuffer.wrap(vs);
            return new Outcome(ops, observed, rv, bb.getLong(), bb.getShort() & 0xffff, true);
        } catch (Exception e) {
            Throwable c = e;
            while (c.getCause() != null && !(c instanceof com.apple.foundationdb.FDBException)) {
                c = c.getCause();
            }
            if (c instanceof com.apple.foundationdb.FDBException f && f.getCode() == 1020) {
                return new Outcome(ops, observed, -1, -1, 0, false);
            }
            throw new AssertionError("unexpected failure", e);
        } finally {
            tr.close();
        }
    }

    private static void verify(List<Outcome> outcomes) {
        List<Outcome> writers = new ArrayList<>();
        List<Outcome> readers = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.committed && o.commitVersion >= 0) {
                writers.add(o);
            } else if (o.committed) {
                readers.add(o);
            }
        }
        assertThat(writers.size() + readers.size()).as("at least one transaction commits").isPositive();
        writers.sort(Comparator.comparingLong(Outcome::commitVersion).thenComparingInt(Outcome::order));
        // Model states by version: the state after every commit at or below that version.
        TreeMap<Long, TreeMap<Integer, Long>> states = new TreeMap<>();
        TreeMap<Integer, Long> model = new TreeMap<>();
        states.put(Long.MIN_VALUE, new TreeMap<>(model));
        for (Outcome w : writers) {
            TreeMap<Integer, Long> before = new TreeMap<>(model);
            TreeMap<Integer, Long> atReadVersion = states.floorEntry(w.readVersion).getValue();
            replay(w, before, atReadVersion, model);
            states.put(w.commitVersion, new TreeMap<>(model));
        }
        for (Outcome r : readers) {
            TreeMap<Integer, Long> atReadVersion = states.floorEntry(r.readVersion).getValue();
            replay(r, atReadVersion, atReadVersion, new TreeMap<>(atReadVersion));
        }
    }

    /**
     * Re-runs {@code o} on the model: protected reads see {@code before} plus own writes, snapshot reads see
     * {@code atReadVersion} plus own writes, and its writes are applied to {@code model}.
     */
    private static void replay(Outcome o, TreeMap<Integer, Long> before, TreeMap<Integer, Long> atReadVersion,
                               TreeMap<Integer, Long> model) {
        TreeMap<Integer, Long> serial = new TreeMap<>(before);
        TreeMap<Integer, Long> snap = new TreeMap<>(atReadVersion);
        int read = 0;
        for (Op op : o.ops) {
            if (op instanceof Get g) {
                assertThat(o.observed.get(read++)).as("read of k%d in %s", g.key, o).isEqualTo(serial.get(g.key));
            } else if (op instanceof SnapshotGet g) {
                assertThat(o.observed.get(read++)).as("snapshot read of k%d in %s", g.key, o).isEqualTo(snap.get(g.key));
            } else if (op instanceof GetRange r) {
                TreeMap<Integer, Long> source = r.snapshot ? snap : serial;
                Map<Integer, Long> sub = r.reverse ? source.subMap(r.from, true, r.to, false).descendingMap()
                        : source.subMap(r.from, true, r.to, false);
                List<String> rows = new ArrayList<>();
                for (Map.Entry<Integer, Long> e : sub.entrySet()) {
                    if (r.limit > 0 && rows.size() == r.limit) {
                        break;
                    }
                    rows.add((char) ('0' + e.getKey()) + "=" + e.getValue());
                }
                assertThat(o.observed.get(read++)).as("range read %s in %s", r, o).isEqualTo(rows);
            } else {
                applyWrite(op, serial);
                applyWrite(op, snap);
                applyWrite(op, model);
            }
        }
    }

    private static void applyWrite(Op op, TreeMap<Integer, Long> state) {
        if (op instanceof Set s) {
            state.put(s.key, s.value);
        } else if (op instanceof Clear c) {
            state.remove(c.key);
        } else if (op instanceof ClearRange c) {
            state.subMap(c.from, true, c.to, false).clear();
        } else if (op instanceof Add a) {
            state.merge(a.key, a.delta, Long::sum);
        }
    }
}
