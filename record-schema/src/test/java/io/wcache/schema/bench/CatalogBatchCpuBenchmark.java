package io.wcache.schema.bench;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.OpOutcome;
import io.wcache.schema.catalog.SessionRef;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * CPU per small-object batch: what the write pipeline's index thread spends in
 * {@code Catalog.files().apply} for one 10 KiB object (open, one extent, commit; an overwrite of
 * one of 50 keys; {@code TRANSIENT}, or {@code WRITE_BACK} with its persist task), measured as that thread's CPU time, so a shared, loaded machine shifts it far
 * less than wall time. Prints each round and the median of the rounds. Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl record-schema test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.schema.bench.CatalogBatchCpuBenchmark [-Dexec.args="ROUNDS BATCHES [new|overwrite] [POLICY]"]
 * </pre>
 */
public final class CatalogBatchCpuBenchmark {

    private CatalogBatchCpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        // "new": every batch writes a key never written before (the bench's small PUTs); default:
        // overwrites of 50 keys, which also remove the superseded version.
        boolean fresh = args.length > 2 && args[2].equals("new");
        WritePolicy policy = args.length > 3 ? WritePolicy.valueOf(args[3]) : WritePolicy.TRANSIENT;
        Path dir = Files.createTempDirectory("catalog-batch-cpu");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] perBatch = new double[rounds];
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + dir)) {
            Catalog catalog = new Catalog(engine.recordDatabase(), "bench", Clock.systemUTC());
            for (int r = -1; r < rounds; r++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                for (int i = 0; i < batches; i++) {
                    long id = catalog.files().reserveFileId();
                    NamespacePath p = NamespacePath.of(fresh ? "/m/r" + r + "/k" + i : "/m/k" + (i % 50));
                    SessionRef s = new SessionRef(p, id);
                    List<OpOutcome> out = catalog.files().apply(List.of(
                            new CatalogOp.Begin(BeginRequest.of(p, policy, "w1"), id),
                            new CatalogOp.AddExtents(s, List.of(new Extent(id, 0, "w1", 1, id * 10240, 10240, 7))),
                            new CatalogOp.Commit(s, new CommitRequest(10240, "etag", 7))));
                    if (!(out.get(2) instanceof OpOutcome.Success)) {
                        throw new IllegalStateException("batch failed: " + out);
                    }
                }
                double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / batches;
                double wall = (System.nanoTime() - wall0) / 1e3 / batches;
                if (r >= 0) {
                    perBatch[r] = cpu;
                }
                System.out.printf(Locale.ROOT, "%s: calling thread CPU %.0f us/batch, wall %.0f us/batch%n",
                        r < 0 ? "warm-up" : "round " + r, cpu, wall);
            }
        } finally {
            io.wcache.schema.bench.CatalogBatchCpuBenchmark.deleteTree(dir);
        }
        Arrays.sort(perBatch);
        System.out.printf(Locale.ROOT, "median of %d rounds: %.0f us of calling-thread CPU per batch%n", rounds,
                perBatch[rounds / 2]);
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
