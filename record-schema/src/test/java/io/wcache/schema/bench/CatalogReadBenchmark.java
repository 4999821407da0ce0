package io.wcache.schema.bench;

import io.wcache.core.path.NamespacePath;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fdb.MetadataEngine;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.PathStatus;
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
 * What the read path's Catalog look-up of a cached object costs: {@code Catalog.files().status}
 * of one of 50 committed 10 KiB objects, as calling-thread CPU and wall time per look-up (median
 * of the rounds). Not a test.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl record-schema test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.schema.bench.CatalogReadBenchmark [-Dexec.args="ROUNDS READS"]
 * </pre>
 */
public final class CatalogReadBenchmark {

    private CatalogReadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int reads = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        Path dir = Files.createTempDirectory("catalog-read");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] cpus = new double[rounds];
        double[] walls = new double[rounds];
        try (MetadataEngine engine = MetadataEngine.open("embedded:" + dir)) {
            Catalog catalog = new Catalog(engine.recordDatabase(), "bench", Clock.systemUTC());
            for (int i = 0; i < 50; i++) {
                long id = catalog.files().reserveFileId();
                NamespacePath p = NamespacePath.of("/m/k" + i);
                SessionRef s = new SessionRef(p, id);
                catalog.files().apply(List.of(
                        new CatalogOp.Begin(BeginRequest.of(p, WritePolicy.TRANSIENT, "w1"), id),
                        new CatalogOp.AddExtents(s, List.of(new Extent(id, 0, "w1", 1, id * 10240, 10240, 7))),
                        new CatalogOp.Commit(s, new CommitRequest(10240, "etag", 7))));
            }
            for (int r = -2; r < rounds; r++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    PathStatus st = catalog.files().status(NamespacePath.of("/m/k" + (i % 50)));
                    if (!(st instanceof PathStatus.Live)) {
                        throw new IllegalStateException("not live: " + st);
                    }
                }
                double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / reads;
                double wall = (System.nanoTime() - wall0) / 1e3 / reads;
                if (r >= 0) {
                    cpus[r] = cpu;
                    walls[r] = wall;
                }
                System.out.printf(Locale.ROOT, "%s: calling thread CPU %.0f us/read, wall %.0f us/read%n",
                        r < 0 ? "warm-up" : "round " + r, cpu, wall);
            }
        } finally {
            CatalogBatchCpuBenchmark.deleteTree(dir);
        }
        Arrays.sort(cpus);
        Arrays.sort(walls);
        System.out.printf(Locale.ROOT, "median of %d rounds: %.0f us calling-thread CPU, %.0f us wall per read%n",
                rounds, cpus[rounds / 2], walls[rounds / 2]);
    }
}
