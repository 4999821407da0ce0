package io.wcache.worker.e2e.fuse.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.Frontend;
import io.wcache.worker.FuseFrontend;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * 1 GiB sequential write ({@code dd bs=1M conv=fsync}) and read through the FUSE mount of a real
 * worker (WRITE_BACK, persist drain off so uploads do not compete for the disk), against the same
 * bytes PUT and GET through the worker's S3 endpoint (one HTTP stream, no auth), through the
 * worker's CacheService in-process (1 MiB appends, commit), and against {@code dd} on the raw disk
 * under the same directory, in one run, several rounds, medians.
 *
 * <pre>mvn -B -ntp -o -q -pl worker test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.worker.e2e.fuse.bench.FuseBenchmark [-Dexec.args="SIZE_MIB ROUNDS"]</pre>
 */
public final class FuseBenchmark {

    private FuseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path base = Files.isDirectory(Path.of("worker", "target")) ? Path.of("worker", "target") : Path.of("target");
        Path root = Files.createTempDirectory(Files.createDirectories(base), "fuse-bench").toAbsolutePath();
        Path mnt = root.resolve("mnt");
        Path raw = Files.createDirectories(root.resolve("raw"));
        Files.createDirectories(TestWorkers.ufsDir(root));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<double[]> r = new ArrayList<>();
        AtomicReference<S3Frontend> s3 = new AtomicReference<>();
        Frontend.Factory s3Factory = w -> {
            S3Frontend fe = (S3Frontend) S3Frontend.fromConfig().start(w);
            s3.set(fe);
            return fe;
        };
        HttpClient http = HttpClient.newHttpClient();
        try (Worker worker = Worker.start(TestWorkers.config(root, "cache.capacity=" + Math.max(8, 5L * mib * 3 / 1024 + 4) + "GiB",
                        "s3.address=127.0.0.1:0", "s3.auth=none"),
                WorkerOptions.defaults().withPersister(false).withSegmentSize(64L << 20),
                List.of(s3Factory, FuseFrontend.at(mnt, registry)))) {
            CacheService cache = worker.cacheService();
            String endpoint = "http://127.0.0.1:" + s3.get().address().getPort() + "/m/";
            byte[] block = new byte[1 << 20];
            ThreadLocalRandom.current().nextBytes(block);
            Path src = root.resolve("src");
            run("openssl enc -aes-128-ctr -pass pass:bench -nosalt -pbkdf2 < /dev/zero 2>/dev/null | head -c "
                    + ((long) mib << 20) + " > " + src);
            for (int i = 0; i < rounds; i++) {
                int round = i;
                double[] row = new double[8];
                row[0] = mib / seconds(() -> run("dd if=" + src + " of=" + raw.resolve("f" + round) + " bs=1M conv=fsync status=none"));
                row[1] = mib / seconds(() -> run("dd if=" + src + " of=" + mnt.resolve("m/fuse" + round) + " bs=1M conv=fsync status=none"));
                row[2] = mib / seconds(() -> apiWrite(cache, "/m/api" + round, block, mib));
                row[6] = mib / seconds(() -> check(http.send(HttpRequest.newBuilder(URI.create(endpoint + "s3" + round))
                        .PUT(HttpRequest.BodyPublishers.ofFile(src)).build(), HttpResponse.BodyHandlers.discarding())));
                dropCaches();
                row[3] = mib / seconds(() -> run("dd if=" + raw.resolve("f" + round) + " of=/dev/null bs=1M status=none"));
                row[4] = mib / seconds(() -> run("dd if=" + mnt.resolve("m/fuse" + round) + " of=/dev/null bs=1M status=none"));
                row[5] = mib / seconds(() -> apiRead(cache, "/m/api" + round));
                row[7] = mib / seconds(() -> check(http.send(HttpRequest.newBuilder(URI.create(endpoint + "s3" + round))
                        .GET().build(), HttpResponse.BodyHandlers.discarding())));
                r.add(row);
                Files.delete(raw.resolve("f" + i));
                cache.delete(NamespacePath.of("/m/fuse" + i)).join();
                cache.delete(NamespacePath.of("/m/api" + i)).join();
                cache.delete(NamespacePath.of("/m/s3" + i)).join();
            }
        } finally {
            run("rm -rf " + root);
        }
        String[] names = {"raw disk write (dd conv=fsync)", "FUSE write (dd conv=fsync)", "CacheService write (in-process)",
                "raw disk read (dd)", "FUSE read (dd)", "CacheService read (in-process)", "S3 PUT (HTTP, 1 stream)",
                "S3 GET (HTTP, 1 stream)"};
        int[] order = {0, 1, 6, 2, 3, 4, 7, 5};
        System.out.printf("%-34s %12s %10s%n", mib + " MiB, 1 MiB blocks, " + rounds + " rounds", "MiB/s p50", "vs raw");
        for (int c : order) {
            double m = median(r, c);
            double baseline = median(r, c < 3 || c == 6 ? 0 : 3);
            System.out.printf("%-34s %12.0f %9.0f%%%n", names[c], m, 100 * m / baseline);
        }
    }

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    private static double seconds(Body b) throws Exception {
        long start = System.nanoTime();
        b.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(x -> x[col]).sorted().toArray();
        return v[v.length / 2];
    }

    private static void check(HttpResponse<?> response) {
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("S3 request failed: " + response.statusCode());
        }
    }

    private static void apiWrite(CacheService cache, String path, byte[] block, int mib) {
        WriteSession s = cache.create(NamespacePath.of(path), WriteOptions.defaults()).join();
        for (int i = 0; i < mib; i++) {
            s.append(ByteBuffer.wrap(block)).join();
        }
        s.commit().join();
    }

    private static void apiRead(CacheService cache, String path) {
        try (ObjectReader r = cache.open(NamespacePath.of(path)).join()) {
            long size = r.info().size();
            for (long off = 0; off < size; ) {
                off += r.read(off, 1 << 20).join().remaining();
            }
        }
    }

    private static void dropCaches() throws Exception {
        run("sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; true");
    }

    private static void run(String script) throws Exception {
        Process p = new ProcessBuilder("timeout", "900", "bash", "-c", script).inheritIO().start();
        if (!p.waitFor(910, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("failed: " + script);
        }
    }
}
