package io.wcache.fuse.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.core.policy.WritePolicy;
import io.wcache.fuse.CacheSpace;
import io.wcache.fuse.FuseMount;
import io.wcache.fuse.FuseMountOptions;
import io.wcache.fuse.TestCaches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The FUSE layer's own cost: {@code dd bs=1M conv=fsync} of a file through a mount over the
 * file-backed test service (whose commit is one fsync of a local file) against the same {@code dd}
 * straight to the same disk, then reads back, several rounds, medians.
 *
 * <pre>mvn -B -ntp -o -q -pl fuse-frontend test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.fuse.bench.FuseLayerBenchmark [-Dexec.args="SIZE_MIB ROUNDS"]</pre>
 */
public final class FuseLayerBenchmark {

    private FuseLayerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path base = Files.isDirectory(Path.of("fuse-frontend", "target")) ? Path.of("fuse-frontend", "target") : Path.of("target");
        Path work = Files.createTempDirectory(Files.createDirectories(base), "fuse-bench").toAbsolutePath();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Path store = Files.createDirectories(work.resolve("store"));
        Path raw = Files.createDirectories(work.resolve("raw"));
        Path mnt = work.resolve("mnt");
        try (FuseMount mount = FuseMount.mount(TestCaches.fileBacked(store, Map.of("m", WritePolicy.WRITE_BACK)),
                FuseMountOptions.at(mnt), CacheSpace.of(() -> 1L << 40, () -> 1L << 39), registry)) {
            List<Double> rawW = new ArrayList<>();
            List<Double> fuseW = new ArrayList<>();
            List<Double> rawR = new ArrayList<>();
            List<Double> fuseR = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                rawW.add(dd("/dev/zero", raw.resolve("f" + i), mib, true));
                fuseW.add(dd("/dev/zero", mnt.resolve("m/f" + i), mib, true));
                run("sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; true");
                rawR.add(dd(raw.resolve("f" + i).toString(), Path.of("/dev/null"), mib, false));
                fuseR.add(dd(mnt.resolve("m/f" + i).toString(), Path.of("/dev/null"), mib, false));
                Files.delete(raw.resolve("f" + i));
                Files.delete(mnt.resolve("m/f" + i));
            }
            System.out.printf("%-34s %12s %12s%n", "1 MiB blocks, " + mib + " MiB, " + rounds + " rounds", "MiB/s (p50)", "vs raw");
            row("raw disk write (dd conv=fsync)", rawW, median(rawW));
            row("FUSE write (dd conv=fsync)", fuseW, median(rawW));
            row("raw disk read", rawR, median(rawR));
            row("FUSE read", fuseR, median(rawR));
            System.out.printf("%n%-12s %10s %12s%n", "FUSE op", "calls", "mean us");
            registry.find("wcache.fuse.operations").timers().stream()
                    .filter(t -> t.count() > 100)
                    .forEach(t -> System.out.printf("%-12s %10d %12.1f%n", t.getId().getTag("op"), t.count(),
                            t.mean(TimeUnit.MICROSECONDS)));
        } finally {
            run("rm -rf " + work);
        }
    }

    private static void row(String name, List<Double> values, double baseline) {
        double m = median(values);
        System.out.printf("%-34s %12.0f %11.0f%%%n", name, m, 100 * m / baseline);
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        return s.get(s.size() / 2);
    }

    /** MiB/s of one dd run. */
    private static double dd(String in, Path out, int mib, boolean fsync) throws Exception {
        long start = System.nanoTime();
        run("dd if=" + in + " of=" + out + " bs=1M count=" + mib + (fsync ? " conv=fsync" : "") + " status=none");
        return mib / ((System.nanoTime() - start) / 1e9);
    }

    private static void run(String script) throws Exception {
        Process p = new ProcessBuilder("timeout", "600", "bash", "-c", script).inheritIO().start();
        if (!p.waitFor(610, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("failed: " + script);
        }
    }
}
