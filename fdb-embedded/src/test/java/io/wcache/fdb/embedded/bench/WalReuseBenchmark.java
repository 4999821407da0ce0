package io.wcache.fdb.embedded.bench;

import io.wcache.fdb.embedded.EmbeddedBenchAccess;
import io.wcache.fdb.embedded.EmbeddedDatabase;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a synced commit of the embedded engine costs while another file on the same disk is appended
 * and synced without pause (as the log store does beside every acknowledged write), with the
 * engine's WAL in a fresh file (each sync also commits the file system's journal, the file having
 * grown) and in a reused one (overwritten in place). Rounds alternate between the two, each on a
 * new database; prints each round and the medians. Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl fdb-embedded test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.fdb.embedded.bench.WalReuseBenchmark [-Dexec.args="ROUNDS COMMITS"]
 * </pre>
 */
public final class WalReuseBenchmark {

    private WalReuseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int commits = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        Path base = Files.createDirectories(Path.of("target", "bench")).toAbsolutePath();
        List<Double> fresh = new ArrayList<>();
        List<Double> reused = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (boolean reuse : r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                double p50 = round(base, reuse, commits);
                (reuse ? reused : fresh).add(p50);
                System.out.printf("round %d, %-12s synced commit p50 %.3f ms%n", r, reuse ? "reused WAL" : "fresh WAL", p50);
            }
        }
        double f = median(fresh);
        double u = median(reused);
        System.out.printf("median: fresh WAL %.3f ms, reused WAL %.3f ms, reused / fresh %.2f%n", f, u, u / f);
    }

    private static double round(Path base, boolean reuse, int commits) throws Exception {
        Path dir = Files.createTempDirectory(base, "wal-reuse");
        try (EmbeddedDatabase db = EmbeddedDatabase.open(dir.resolve("engine"))) {
            byte[] value = new byte[1500];
            if (reuse) {
                // Fill and flush twice: the WAL files the flushes make obsolete are then reused.
                for (int flush = 0; flush < 3; flush++) {
                    for (int i = 0; i < commits; i++) {
                        int n = i;
                        int f = flush;
                        db.run(tr -> {
                            tr.set(("fill/" + f + "/" + n).getBytes(), value);
                            return null;
                        });
                    }
                    EmbeddedBenchAccess.flushMemtables(db);
                }
            }
            Thread log = new Thread(() -> appendAndSync(dir.resolve("log")));
            log.start();
            long[] ns = new long[commits];
            try {
                for (int i = 0; i < commits; i++) {
                    int n = i;
                    long t = System.nanoTime();
                    db.run(tr -> {
                        tr.set(("k/" + n).getBytes(), value);
                        return null;
                    });
                    ns[i] = System.nanoTime() - t;
                }
            } finally {
                log.interrupt();
                log.join();
            }
            Arrays.sort(ns);
            return ns[ns.length / 2] / 1e6;
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** 10 KiB appends, each followed by an fdatasync, until interrupted. */
    private static void appendAndSync(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(10 << 10);
            long p = 0;
            while (!Thread.currentThread().isInterrupted()) {
                b.clear();
                p += ch.write(b, p);
                ch.force(false);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
