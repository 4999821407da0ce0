package io.wcache.tools.bench;

import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.PersistStatus;
import io.wcache.core.path.NamespacePath;
import io.wcache.tools.bench.BenchResults.Bandwidth;
import io.wcache.tools.bench.BenchResults.Latency;
import io.wcache.worker.cache.WorkerCacheService;
import io.wcache.persister.testing.TempDirs;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The end-to-end benchmark: starts s3proxy and a worker on 127.0.0.1, measures the machine's
 * floors, then 10 KiB PUT latency and throughput ({@code WRITE_BACK}, {@code WRITE_THROUGH}, the
 * UFS directly) at 1, 16 and 64 clients, GET-after-write (cached, cold, s3proxy), 10 MiB PUT
 * bandwidth, asynchronous persistence of 5,000 objects, and 1 GiB through the FUSE mount; prints a
 * table and writes JSON and PNG charts under {@code results/bench-<time>/}. Not a test.
 *
 * <pre>
 * ./wcadm bench [--quick | --profile | --help]
 * # or: mvn -B -ntp -q -pl tools test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.tools.bench.EndToEndBenchmark [-Dexec.args="--help"]
 * </pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "End-to-end benchmark of a worker against its floors and the UFS, in one run.")
public final class EndToEndBenchmark implements Callable<Integer> {

    static final int SMALL = 10 * 1024;

    @Option(names = "--results", description = "Directory under which the run's directory is created (default: ${DEFAULT-VALUE})")
    Path results = Path.of("results");

    @Option(names = "--seconds", description = "Measured seconds per latency run (default: ${DEFAULT-VALUE})")
    double seconds = 3;

    @Option(names = "--warmup", description = "Warm-up seconds before each latency run (default: ${DEFAULT-VALUE})")
    double warmup = 1;

    @Option(names = "--jit-warmup", description = "Seconds of untimed PUTs and GETs against every target before the first "
            + "measured run, so the JIT compiles the client, the worker and s3proxy first (default: ${DEFAULT-VALUE})")
    double jitWarmup = 16;

    @Option(names = "--jit-warmup-max", description = "Longest JIT warm-up: after the first --jit-warmup seconds it goes on, "
            + "pass after pass, while the JVM's compilers were busy more than --jit-settled of a pass; 0: one pass only "
            + "(default: ${DEFAULT-VALUE})")
    double jitWarmupMax = 240;

    @Option(names = "--jit-settled", description = "Share of a warm-up pass's time the compilers may still use for the "
            + "JIT to count as settled (default: ${DEFAULT-VALUE})")
    double jitSettled = 0.05;

    @Option(names = "--persist-objects", description = "Objects in the persistence run (default: ${DEFAULT-VALUE})")
    int persistObjects = 5000;

    @Option(names = "--persist-seconds", description = "Longest time spent issuing the persistence run's PUTs (default: ${DEFAULT-VALUE})")
    int persistSeconds = 60;

    @Option(names = "--large-mib", description = "Size of a large PUT in MiB (default: ${DEFAULT-VALUE})")
    int largeMib = 10;

    @Option(names = "--fuse-mib", description = "MiB written and read through the FUSE mount; 0 skips FUSE (default: ${DEFAULT-VALUE})")
    int fuseMib = 1024;

    @Option(names = "--concurrency", split = ",", description = "Client counts for the PUT runs (default: 1,16,64)")
    int[] concurrency = {1, 16, 64};

    @Option(names = "--persist-threads", description = "write.cache.async.persist.thread.pool.size (default: ${DEFAULT-VALUE})")
    int persistThreads = 16;

    @Option(names = "--drain-timeout", description = "Seconds to wait for the persist queue to drain between phases (default: ${DEFAULT-VALUE})")
    int drainTimeout = 45;

    @Option(names = "--set", description = "KEY=VALUE: overrides a key of the worker's configuration (repeatable), "
            + "e.g. --set write.cache.async.persist.mark.linger=0")
    List<String> overrides = new java.util.ArrayList<>();

    @Option(names = "--profile", description = "Record a JFR profile of the whole run into the run directory")
    boolean profile;

    @Option(names = "--keep-work", description = "Keep the worker's data (cache, metadata, s3proxy) after the run")
    boolean keepWork;

    @Option(names = "--verbose", description = "Keep the worker's INFO logging (default: warnings only)")
    boolean verbose;

    @Option(names = "--quick", description = "A short smoke run: 1 s runs, 500 persisted objects, 64 MiB FUSE")
    boolean quick;

    @Option(names = "--phases", split = ",", description = "Phases to run, in their fixed order: floors, warmup, "
            + "small (10 KiB PUTs), get (GET after write, cold GET), large, persist, fuse (default: all)")
    java.util.Set<String> phases = new java.util.LinkedHashSet<>(PHASES);

    @Option(names = "--put-targets", split = ",", description = "Targets of the small-PUT runs: direct (s3proxy), wt "
            + "(WRITE_THROUGH), wb (WRITE_BACK), tr (TRANSIENT) (default: all)")
    java.util.Set<String> putTargets = new java.util.LinkedHashSet<>(PUT_TARGETS);

    @Option(names = "--rounds", description = "Rounds of the small-PUT and GET-after-write runs, interleaved; "
            + "with more than one, the medians of the rounds are reported (default: ${DEFAULT-VALUE})")
    int rounds = 1;

    static final List<String> PHASES = List.of("floors", "warmup", "small", "get", "large", "persist", "fuse");
    static final List<String> PUT_TARGETS = List.of("direct", "wt", "wb", "tr");

    private final BenchResults.Builder out = new BenchResults.Builder();
    private final CpuMeter cpu = new CpuMeter();
    private Path runDir;
    private int round = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = new CommandLine(new EndToEndBenchmark()).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            quietLogging();
        }
        if (quick) {
            seconds = Math.min(seconds, 1);
            warmup = Math.min(warmup, 0.5);
            jitWarmup = Math.min(jitWarmup, 2);
            jitWarmupMax = 0;
            persistObjects = Math.min(persistObjects, 500);
            fuseMib = Math.min(fuseMib, 64);
        }
        for (String p : phases) {
            if (!PHASES.contains(p)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--phases: unknown phase '" + p
                        + "' (known: " + String.join(", ", PHASES) + ")");
            }
        }
        for (String t : putTargets) {
            if (!PUT_TARGETS.contains(t)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--put-targets: unknown target '" + t
                        + "' (known: " + String.join(", ", PUT_TARGETS) + ")");
            }
        }
        if (rounds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be at least 1");
        }
        Instant started = Instant.now();
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        runDir = results.toAbsolutePath().resolve("bench-" + stamp);
        Files.createDirectories(runDir);
        Path work = runDir.resolve("work");
        Recording jfr = null;
        if (profile) {
            jfr = new Recording(Configuration.getConfiguration("profile"));
            jfr.setName("wcache-bench");
            jfr.start();
        }
        out.startedAt = started.toString();
        out.command = "EndToEndBenchmark " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()
                .stream().filter(a -> a.startsWith("-X")).toList());
        String loadStart = loadAverage();
        out.settings = new BenchResults.Settings(seconds, warmup, SMALL, largeMib << 20, 4, persistObjects,
                persistThreads, 16, (long) fuseMib << 20);
        long t0 = System.nanoTime();
        boolean mountFuse = fuseMib > 0 && phases.contains("fuse");
        try (BenchRig rig = BenchRig.start(work, persistThreads, mountFuse ? work.resolve("mnt") : null, overrides)) {
            out.notes.add("persister: " + rig.persisterName());
            if (!overrides.isEmpty()) {
                out.notes.add("worker configuration overrides: " + String.join(", ", overrides));
            }
            log("worker S3 endpoint %s, s3proxy %s, FUSE %s", rig.workerEndpoint(), rig.s3proxy().endpoint(),
                    rig.fuseMountPoint() == null ? "off" : rig.fuseMountPoint());
            phase("floors", "floors", () -> floors(rig));
            phase("warmup", "JIT warm-up", () -> jitWarmUp(rig));
            for (int r = 1; r <= rounds; r++) {
                round = r;
                phase("small", "small PUTs", () -> smallPuts(rig));
                phase("get", "GET after write", () -> getAfterWrite(rig));
            }
            round = 1;
            phase("large", "large PUTs", () -> largePuts(rig));
            phase("persist", "persistence", () -> persistence(rig));
            phase("fuse", "FUSE", () -> fuse(rig));
        } finally {
            if (jfr != null) {
                Path file = runDir.resolve("profile.jfr");
                jfr.dump(file);
                jfr.close();
                log("JFR profile: %s", file);
            }
            if (!keepWork) {
                TempDirs.delete(work);
            }
        }
        if (rounds > 1) {
            roundMedians();
        }
        out.machine = new BenchResults.Machine(Runtime.getRuntime().availableProcessors(), totalMemory(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + osRelease() + ")",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), loadStart, loadAverage(),
                "cache and s3proxy in " + work);
        out.notes.add(String.format(Locale.ROOT, "whole run %.0f s", (System.nanoTime() - t0) / 1e9));
        BenchResults partial = out.build();
        out.targets.addAll(Targets.evaluate(partial));
        BenchResults r = out.build();
        String table = BenchReport.write(r, runDir);
        System.out.println();
        System.out.println(table);
        System.out.println("results: " + runDir);
        return 0;
    }

    // ---------------------------------------------------------------- phases

    private void floors(BenchRig rig) throws Exception {
        Path disk = rig.cacheDir().resolve("floors");
        var fsync = MachineFloors.appendAndSync(disk, SMALL, dur(seconds));
        var seq = MachineFloors.sequentialWrite(disk, 128L << 20, (long) largeMib << 20, 3);
        var http = MachineFloors.loopbackHttpRoundTrip(dur(Math.min(seconds, 2)));
        out.floors = new BenchResults.Floors(Latency.of("floor.fsync", fsync),
                new Bandwidth("floor.seq", "floor: sequential write, fdatasync per " + largeMib + " MiB", seq.medianMbPerSecond(),
                        seq.bytesPerRound(), seq.bytesPerRound() / (seq.medianMbPerSecond() * 1e6), 1, 0,
                        "median of " + seq.roundsMbPerSecond().length + " × " + (seq.bytesPerRound() >> 20) + " MiB"),
                Latency.of("floor.http", http));
        log("floors: fsync p50 %.3f ms, seq %.0f MB/s, HTTP RTT p50 %.3f ms", fsync.p50Ms(), seq.medianMbPerSecond(),
                http.p50Ms());
    }

    /**
     * Untimed traffic to every target. The per-run warm-up is a second; without this phase the
     * first runs (one client) were measured while the compiler threads still took a large share of
     * the two cores, which hurt s3proxy and the worker alike but made their one-client figures noise.
     */
    private void jitWarmUp(BenchRig rig) throws Exception {
        if (jitWarmup <= 0) {
            return;
        }
        byte[] body = randomBytes(SMALL);
        java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        for (int pass = 1; ; pass++) {
            long passStart = System.nanoTime();
            long compiledBefore = timed ? jit.getTotalCompilationTime() : 0;
            warmUpPass(rig, body, "warm/" + pass + "-" + Long.toString(System.nanoTime(), 36) + "/");
            drain(rig, "after JIT warm-up pass " + pass);
            double passSeconds = (System.nanoTime() - passStart) / 1e9;
            double compiling = timed ? (jit.getTotalCompilationTime() - compiledBefore) / 1e3 : 0;
            double total = (System.nanoTime() - start) / 1e9;
            log("JIT warm-up pass %d: %.1f s, compilers busy %.1f s (%.0f %%)", pass, passSeconds, compiling,
                    100 * compiling / passSeconds);
            if (!timed || warmUpEnds(compiling, passSeconds, total, jitSettled, jitWarmupMax)) {
                out.notes.add(String.format(java.util.Locale.ROOT, "JIT warm-up: %d pass(es), %.0f s; compilers busy %.0f %% "
                        + "of the last pass", pass, total, 100 * compiling / passSeconds));
                return;
            }
        }
    }

    /**
     * Whether the JIT warm-up ends after a pass of {@code passSeconds} in which the compilers were busy
     * {@code compiling} seconds, {@code total} seconds into it: the compilers were busy at most
     * {@code settled} of the pass, or another pass would end past {@code max} seconds.
     */
    static boolean warmUpEnds(double compiling, double passSeconds, double total, double settled, double max) {
        return compiling <= settled * passSeconds || total + passSeconds > max;
    }

    /**
     * One pass of untimed PUTs and GETs, {@code --jit-warmup} / 4 seconds against each target, with
     * the worker's {@code /metrics} read after each, as every measured run reads it before and after.
     * Without those reads the first one came in the warm-up second of the first measured worker run
     * (10 KiB WRITE_BACK, the run the p99 target reads): the scrape's code (the registry's rendering,
     * the HTTP client's non-blocking socket reads) was compiled there, and code it shares with the
     * worker (the JDK's socket channel reads and writes, the registry) was deoptimized, 65 times in
     * that second, and compiled again while the run went on: its p99 was 4.6-5.0 times its p50 in
     * every run, the same run's in later rounds about 2.
     */
    private void warmUpPass(BenchRig rig, byte[] body, String run) throws Exception {
        Duration each = dur(jitWarmup / 4);
        ClosedLoop.run("warm-up s3proxy", 4, Duration.ZERO, each, 0, seq -> {
            put(rig.directClient(), BenchRig.DIRECT_BUCKET, run + seq, body);
            timedGet(rig.directClient(), BenchRig.DIRECT_BUCKET, run + seq, SMALL);
        });
        for (String prefix : new String[] {BenchRig.WRITE_BACK_PREFIX, BenchRig.TRANSIENT_PREFIX, BenchRig.WRITE_THROUGH_PREFIX}) {
            scrapeStages(rig);
            ClosedLoop.run("warm-up " + prefix, 4, Duration.ZERO, each, 0, seq -> {
                put(rig.workerClient(), BenchRig.BUCKET, prefix + run + seq, body);
                timedGet(rig.workerClient(), BenchRig.BUCKET, prefix + run + seq, SMALL);
            });
            scrapeStages(rig);
        }
    }

    private void smallPuts(BenchRig rig) throws Exception {
        byte[] body = randomBytes(SMALL);
        String run = Long.toString(System.nanoTime(), 36);
        for (int c : concurrency) {
            // Interleaved by concurrency so that drift of the shared machine hits all three alike.
            if (putTargets.contains("direct")) {
                measure(rig, "put.direct.c" + c, "PUT 10 KiB s3proxy direct", c,
                        seq -> put(rig.directClient(), BenchRig.DIRECT_BUCKET, "p/" + run + "/" + c + "/" + seq, body));
            }
            if (putTargets.contains("wt")) {
                measure(rig, "put.wt.c" + c, "PUT 10 KiB WRITE_THROUGH", c,
                        seq -> put(rig.workerClient(), BenchRig.BUCKET, BenchRig.WRITE_THROUGH_PREFIX + run + "/" + c + "/" + seq, body));
            }
            if (putTargets.contains("wb")) {
                measure(rig, "put.wb.c" + c, "PUT 10 KiB WRITE_BACK", c,
                        seq -> put(rig.workerClient(), BenchRig.BUCKET, BenchRig.WRITE_BACK_PREFIX + run + "/" + c + "/" + seq, body));
            }
            // The worker alone: no upload follows, so this is what it takes in when the UFS's work
            // does not share the machine's cores.
            if (putTargets.contains("tr")) {
                measure(rig, "put.tr.c" + c, "PUT 10 KiB TRANSIENT (no UFS work)", c,
                        seq -> put(rig.workerClient(), BenchRig.BUCKET, BenchRig.TRANSIENT_PREFIX + "p/" + run + "/" + c + "/" + seq, body));
            }
            drain(rig, "after PUT c=" + c);
        }
    }

    private void getAfterWrite(BenchRig rig) throws Exception {
        byte[] body = randomBytes(SMALL);
        String run = Long.toString(System.nanoTime(), 36);
        recordPartly("get.cached", "GET 10 KiB after write (cached, WRITE_BACK)", seq -> {
            String key = BenchRig.WRITE_BACK_PREFIX + "get/" + run + "/" + seq;
            put(rig.workerClient(), BenchRig.BUCKET, key, body);
            return timedGet(rig.workerClient(), BenchRig.BUCKET, key, SMALL);
        });
        // The same read with no upload of the object just written competing for the cores.
        recordPartly("get.cached.tr", "GET 10 KiB after write (cached, TRANSIENT: no upload running)", seq -> {
            String key = BenchRig.TRANSIENT_PREFIX + "get/" + run + "/" + seq;
            put(rig.workerClient(), BenchRig.BUCKET, key, body);
            return timedGet(rig.workerClient(), BenchRig.BUCKET, key, SMALL);
        });
        recordPartly("get.direct", "GET 10 KiB after write (s3proxy direct)", seq -> {
            String key = "g/" + run + "/" + seq;
            put(rig.directClient(), BenchRig.DIRECT_BUCKET, key, body);
            return timedGet(rig.directClient(), BenchRig.DIRECT_BUCKET, key, SMALL);
        });
        // Cold: objects that exist only in the UFS (written there directly, never through the worker).
        int cold = (int) Math.max(200, Math.min(2000, seconds * 300));
        int warm = 20;
        parallel(16, cold + warm, Long.MAX_VALUE, i -> put(rig.directClient(), BenchRig.UFS_BUCKET,
                BenchRig.BUCKET + "/" + BenchRig.COLD_PREFIX + run + "/" + i, body));
        Histogram h = new Histogram();
        long errors = 0;
        String firstError = null;
        for (int i = 0; i < warm; i++) {
            try {
                timedGet(rig.workerClient(), BenchRig.BUCKET, BenchRig.COLD_PREFIX + run + "/" + i, SMALL);
            } catch (RuntimeException e) {
                errors++;
                firstError = firstError == null ? e.toString() : firstError;
            }
        }
        long from = System.nanoTime();
        long until = from + dur(seconds).toNanos();
        long hardLimit = from + 4 * dur(seconds).toNanos();
        for (int i = warm; i < cold + warm; i++) {
            long now = System.nanoTime();
            if (now >= until && (h.h.getTotalCount() >= ClosedLoop.MIN_OPS || now >= hardLimit)) {
                break;
            }
            try {
                long ns = timedGet(rig.workerClient(), BenchRig.BUCKET, BenchRig.COLD_PREFIX + run + "/" + i, SMALL);
                h.h.recordValue(Math.max(1, ns / 1000));
            } catch (Exception e) {
                errors++;
                firstError = firstError == null ? e.toString() : firstError;
            }
        }
        double secs = (System.nanoTime() - from) / 1e9;
        LatencySummary s = new LatencySummary("GET 10 KiB cold (read-through from the UFS)", 1, h.h.getTotalCount(),
                errors, secs, firstError, h.h);
        out.latencies.add(Latency.of(roundKey("get.cold"), s));
        logLatency(s);
        drain(rig, "after GET");
    }

    private void largePuts(BenchRig rig) throws Exception {
        int size = largeMib << 20;
        byte[] body = randomBytes(size);
        String run = Long.toString(System.nanoTime(), 36);
        int c = 4;
        if (jitWarmup > 0) {
            // Untimed large PUTs to both first: the JIT warm-up phase sends 10 KiB bodies only, so the
            // large-body paths (chunk decoding and signing, record staging, the uploads of large
            // objects) were compiled during the first measured run, the worker's (s3proxy's were warm
            // by then from the worker's uploads): 0.2-0.25 cores of compiler threads in that run.
            Duration each = dur(jitWarmup / 4);
            ClosedLoop.run("warm-up large s3proxy", c, Duration.ZERO, each, 0,
                    seq -> put(rig.directClient(), BenchRig.DIRECT_BUCKET, "large-warm/" + run + "/" + seq, body));
            ClosedLoop.run("warm-up large WRITE_BACK", c, Duration.ZERO, each, 0,
                    seq -> put(rig.workerClient(), BenchRig.BUCKET, BenchRig.WRITE_BACK_PREFIX + "large-warm/" + run + "/" + seq, body));
            drain(rig, "after large PUT warm-up");
        }
        StageTimes.Scrape stagesBefore = scrapeStages(rig);
        CpuMeter.Snapshot cpuBefore = cpu.snapshot();
        LatencySummary wb = ClosedLoop.run("PUT " + largeMib + " MiB WRITE_BACK", c, dur(warmup), dur(seconds + 1), 0,
                seq -> put(rig.workerClient(), BenchRig.BUCKET, BenchRig.WRITE_BACK_PREFIX + "large/" + run + "/" + seq, body));
        CpuMeter.Snapshot cpuAfter = cpu.snapshot();
        out.cpu.add(CpuMeter.between("large.wb", cpuBefore, cpuAfter, wb.opsPerSecond()));
        logLatency(wb);
        logThreadCpu(cpuBefore, cpuAfter, wb.opsPerSecond());
        recordStages(rig, "large.wb", stagesBefore);
        drain(rig, "after large WRITE_BACK PUTs");
        CpuMeter.Snapshot directBefore = cpu.snapshot();
        LatencySummary direct = ClosedLoop.run("PUT " + largeMib + " MiB s3proxy direct", c, dur(warmup), dur(seconds + 1), 0,
                seq -> put(rig.directClient(), BenchRig.DIRECT_BUCKET, "large/" + run + "/" + seq, body));
        CpuMeter.Snapshot directAfter = cpu.snapshot();
        out.cpu.add(CpuMeter.between("large.direct", directBefore, directAfter, direct.opsPerSecond()));
        logLatency(direct);
        logThreadCpu(directBefore, directAfter, direct.opsPerSecond());
        out.bandwidths.add(new Bandwidth("large.wb", wb.name() + " PUT", wb.megabytesPerSecond(size), wb.ops() * size,
                wb.seconds(), c, wb.errors(), String.format(Locale.ROOT, "p50 %.0f ms", wb.p50Ms())));
        out.bandwidths.add(new Bandwidth("large.direct", direct.name() + " PUT", direct.megabytesPerSecond(size),
                direct.ops() * size, direct.seconds(), c, direct.errors(), String.format(Locale.ROOT, "p50 %.0f ms",
                direct.p50Ms())));
        out.latencies.add(Latency.of("large.wb.latency", wb));
        out.latencies.add(Latency.of("large.direct.latency", direct));
    }

    private void persistence(BenchRig rig) throws Exception {
        long backlog = drain(rig, "before persistence");
        byte[] body = randomBytes(SMALL);
        String run = Long.toString(System.nanoTime(), 36);
        String prefix = BenchRig.WRITE_BACK_PREFIX + "persist/" + run + "/";
        CpuMeter.Snapshot cpuBefore = cpu.snapshot();
        var marksBefore = rig.markCounts();
        long t0 = System.nanoTime();
        // Bounded in time too: on a starved machine the count shrinks rather than the run overrunning.
        int written = parallel(16, persistObjects, t0 + dur(persistSeconds).toNanos(),
                i -> put(rig.workerClient(), BenchRig.BUCKET, prefix + i, body));
        double putSeconds = (System.nanoTime() - t0) / 1e9;
        CpuMeter.Snapshot cpuAfterPuts = cpu.snapshot();
        long pendingAfterPuts = rig.persistQueue().pending();
        if (written < persistObjects) {
            out.notes.add(String.format(Locale.ROOT, "persistence: only %,d of %,d objects were written within %d s; "
                    + "the rate is over those", written, persistObjects, persistSeconds));
        }
        long timeoutSeconds = Math.max(60, persistSeconds * 2L);
        long pending = rig.awaitPersisted(Duration.ofSeconds(timeoutSeconds), marksBefore.tasks() + written);
        double total = (System.nanoTime() - t0) / 1e9;
        CpuMeter.Snapshot cpuEnd = cpu.snapshot();
        out.cpu.add(CpuMeter.between("persistence", cpuBefore, cpuEnd, written / total));
        // The uploads left when the PUTs ended, with the machine to themselves: the cores they kept busy.
        if (pendingAfterPuts > pending && total > putSeconds) {
            double drainRate = (pendingAfterPuts - pending) / (total - putSeconds);
            out.cpu.add(CpuMeter.between("persistence.drain", cpuAfterPuts, cpuEnd, drainRate));
            log("persistence: CPU per upload while the uploads left drained, by thread group:");
            logThreadCpu(cpuAfterPuts, cpuEnd, drainRate, 0.01);
        }
        var marksAfter = rig.markCounts();
        long markTxns = marksAfter.transactions() - marksBefore.transactions();
        long marked = marksAfter.tasks() - marksBefore.tasks();
        out.notes.add(String.format(Locale.ROOT, "persistence: %,d uploads marked PERSISTED in %,d Catalog transactions "
                + "(%.2f per upload)", marked, markTxns, marked == 0 ? 0.0 : (double) markTxns / marked));
        log("persistence: %d uploads marked persisted in %d Catalog transactions", marked, markTxns);
        // Check the claim: every object is in the UFS, and a sample reads PERSISTED from metadata.
        long inUfs = 0;
        for (var page : rig.directClient().listObjectsV2Paginator(ListObjectsV2Request.builder()
                .bucket(BenchRig.UFS_BUCKET).prefix(BenchRig.BUCKET + "/" + prefix).build())) {
            inUfs += page.contents().stream().map(S3Object::key).count();
        }
        WorkerCacheService cache = rig.worker().cacheService();
        for (int i = 0; i < written; i += Math.max(1, written / 50)) {
            Optional<ObjectInfo> info = WorkerCacheService.await(
                    cache.stat(NamespacePath.of("/" + BenchRig.BUCKET + "/" + prefix + i)));
            PersistStatus st = info.map(ObjectInfo::persistStatus).orElse(null);
            if (pending == 0 && st != PersistStatus.PERSISTED) {
                out.notes.add("persistence: object " + i + " is " + st + " although the queue was empty");
            }
        }
        double objectsPerSecond = pending == 0 ? written / total : Math.max(0, written - pending) / total;
        // The UFS's own rate at the persister's parallelism, measured now, beside it.
        byte[] b2 = randomBytes(SMALL);
        CpuMeter.Snapshot directBefore = cpu.snapshot();
        LatencySummary direct = ClosedLoop.run("PUT 10 KiB s3proxy direct (persister parallelism)", persistThreads,
                dur(warmup), dur(seconds), 0,
                seq -> put(rig.directClient(), BenchRig.DIRECT_BUCKET, "pp/" + run + "/" + seq, b2));
        out.cpu.add(CpuMeter.between("persist.direct", directBefore, cpu.snapshot(), direct.opsPerSecond()));
        logLatency(direct);
        out.latencies.add(Latency.of("persist.direct", direct));
        out.persistence = new BenchResults.Persistence(written, putSeconds, total, objectsPerSecond,
                direct.opsPerSecond(), persistThreads, pending, inUfs, backlog, pendingAfterPuts);
        log("persistence: %d uploads pending when the PUTs ended, drained at %.0f/s with the machine to itself "
                + "(%.2f of s3proxy direct)", pendingAfterPuts, out.persistence.drainPerSecond(),
                out.persistence.drainPerSecond() / direct.opsPerSecond());
        log("persistence: %d objects, PUTs done in %.1f s, all PERSISTED after %.1f s (%.0f objects/s; pending %d, in UFS %d); "
                + "s3proxy direct %.0f PUT/s at c=%d", written, putSeconds, total, objectsPerSecond, pending, inUfs,
                direct.opsPerSecond(), persistThreads);
    }

    private void fuse(BenchRig rig) throws Exception {
        Path mnt = rig.fuseMountPoint();
        if (fuseMib <= 0) {
            return;
        }
        if (mnt == null) {
            out.notes.add("FUSE: not measured (the mount could not be created on this machine)");
            return;
        }
        // WRITE_BACK, as the target asks: close commits, the upload follows (drained before the read).
        Path file = mnt.resolve(BenchRig.BUCKET).resolve(BenchRig.WRITE_BACK_PREFIX).resolve("seq-" + System.nanoTime());
        Files.createDirectories(file.getParent());
        long bytes = (long) fuseMib << 20;
        ByteBuffer block = ByteBuffer.wrap(randomBytes(1 << 20));
        StageTimes.Scrape stagesBefore = scrapeStages(rig);
        CpuMeter.Snapshot cpuBefore = cpu.snapshot();
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0; written < bytes; ) {
                block.clear();
                while (block.hasRemaining()) {
                    written += ch.write(block);
                }
            }
        }
        double writeSeconds = (System.nanoTime() - t0) / 1e9;
        out.cpu.add(CpuMeter.between("fuse.write", cpuBefore, cpu.snapshot(), 1 / writeSeconds));
        log("FUSE: write %.0f MB/s", bytes / writeSeconds / 1e6);
        recordStages(rig, "fuse.write", stagesBefore);
        drain(rig, "after the FUSE write");
        long t1 = System.nanoTime();
        long read = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            int n;
            while ((n = ch.read(buf)) >= 0) {
                read += n;
                buf.clear();
            }
        }
        double readSeconds = (System.nanoTime() - t1) / 1e9;
        if (read != bytes) {
            out.notes.add("FUSE: read back " + read + " bytes of " + bytes);
        }
        out.bandwidths.add(new Bandwidth("fuse.write", "FUSE sequential write " + fuseMib + " MiB (1 MiB writes, close commits)",
                bytes / writeSeconds / 1e6, bytes, writeSeconds, 1, 0, "WRITE_BACK path"));
        out.bandwidths.add(new Bandwidth("fuse.read", "FUSE sequential read " + fuseMib + " MiB (1 MiB reads, re-opened)",
                read / readSeconds / 1e6, read, readSeconds, 1, read == bytes ? 0 : 1, ""));
        log("FUSE: write %.0f MB/s, read %.0f MB/s", bytes / writeSeconds / 1e6, read / readSeconds / 1e6);
        Files.deleteIfExists(file);
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface Phase {
        void run() throws Exception;
    }

    /**
     * Runs one phase if {@code --phases} selected it; a failure is reported in the results and the
     * run goes on with the next phase.
     */
    private void phase(String id, String name, Phase p) {
        if (!phases.contains(id)) {
            return;
        }
        try {
            p.run();
        } catch (Exception e) {
            log("phase %s failed: %s", name, e);
            out.notes.add("phase " + name + " failed: " + e);
        }
    }

    private void measure(BenchRig rig, String key, String name, int c, ClosedLoop.Op op) throws InterruptedException {
        // Cap the count so WRITE_BACK runs leave a backlog the persister can clear between phases.
        boolean stages = key.startsWith("put.") && !key.startsWith("put.direct");
        StageTimes.Scrape stagesBefore = stages ? scrapeStages(rig) : null;
        CpuMeter.Snapshot before = cpu.snapshot();
        LatencySummary s = ClosedLoop.run(name, c, dur(warmup), dur(seconds), 0, op);
        double rate = s.opsPerSecond();
        if (key.startsWith("put.wb")) {
            // Uploads wait for a pause in writes (write.cache.async.persist.defer.max): those of this
            // run's PUTs are drained inside its CPU window, so the CPU per PUT includes its upload.
            // The rate is rescaled to the longer window: CPU per op = CPU / ops either way.
            long runWall = System.nanoTime() - before.wallNanos();
            drain(rig, "inside the CPU window of " + key);
            rate *= runWall / (double) Math.max(1, System.nanoTime() - before.wallNanos());
        }
        key = roundKey(key);
        out.cpu.add(CpuMeter.between(key, before, cpu.snapshot(), rate));
        out.latencies.add(Latency.of(key, s));
        logLatency(s);
        // The window includes the run's warm-up second and the uploads it queued that ran meanwhile.
        recordStages(rig, key, stagesBefore);
    }

    /** Adds the per-stage table of the run that began at {@code before} (nothing when either scrape failed). */
    private void recordStages(BenchRig rig, String key, StageTimes.Scrape before) {
        if (before == null) {
            return;
        }
        StageTimes.Scrape after = scrapeStages(rig);
        if (after != null) {
            var run = new BenchResults.StageRun(key, StageTimes.between(before, after));
            out.stages.add(run);
            for (var st : run.stages()) {
                log("  stage %-22s n=%,d p50 %.3f ms p99 %.3f ms", st.stage(), st.count(), st.p50Ms(), st.p99Ms());
            }
        }
    }

    /**
     * The first round's figures keep their plain keys (the targets and charts read those); a later
     * round's carry {@code .r<N>}, and {@link #roundMedians} reports the medians over all rounds.
     */
    private String roundKey(String key) {
        return round <= 1 ? key : key + ".r" + round;
    }

    /** With several rounds: logs and notes {@link #roundMedians(List)} of this run. */
    private void roundMedians() {
        for (String line : roundMedians(out.build().latencies())) {
            log("%s", line);
            out.notes.add(line);
        }
    }

    /**
     * For every figure measured in more than one round: the medians of its p50, p99 and rate over
     * the rounds and, for a worker figure, the median of its p50 divided by the s3proxy figure's p50
     * of the same round ({@code put.direct.c<N>} for PUTs, {@code get.direct} for GETs).
     */
    static List<String> roundMedians(List<Latency> latencies) {
        java.util.Map<String, List<Latency>> byKey = new java.util.LinkedHashMap<>();
        for (Latency l : latencies) {
            byKey.computeIfAbsent(l.key().replaceFirst("\\.r\\d+$", ""), k -> new ArrayList<>()).add(l);
        }
        List<String> lines = new ArrayList<>();
        for (var e : byKey.entrySet()) {
            List<Latency> ls = e.getValue();
            if (ls.size() < 2) {
                continue;
            }
            String line = String.format(Locale.ROOT, "median of %d rounds: %-16s p50 %.3f ms, p99 %.3f ms, %.0f ops/s",
                    ls.size(), e.getKey(), median(ls.stream().mapToDouble(Latency::p50Ms).toArray()),
                    median(ls.stream().mapToDouble(Latency::p99Ms).toArray()),
                    median(ls.stream().mapToDouble(Latency::opsPerSecond).toArray()));
            String base = e.getKey().startsWith("put.") ? e.getKey().replaceFirst("^put\\.[a-z]+\\.", "put.direct.")
                    : e.getKey().startsWith("get.") ? "get.direct" : null;
            List<Latency> bs = base == null || base.equals(e.getKey()) ? List.of() : byKey.getOrDefault(base, List.of());
            if (bs.size() == ls.size()) {
                double[] ratios = new double[ls.size()];
                for (int i = 0; i < ratios.length; i++) {
                    ratios[i] = ls.get(i).p50Ms() / bs.get(i).p50Ms();
                }
                line += String.format(Locale.ROOT, "; p50 / %s p50 in the same round: median %.2f (%s)", base,
                        median(ratios), java.util.Arrays.stream(ratios).mapToObj(x -> String.format(Locale.ROOT, "%.2f", x))
                                .collect(java.util.stream.Collectors.joining(", ")));
            }
            lines.add(line);
        }
        return lines;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private StageTimes.Scrape scrapeStages(BenchRig rig) {
        try {
            return StageTimes.parse(rig.scrapeMetrics());
        } catch (Exception e) {
            log("reading /metrics failed, no stage table for this run: %s", e);
            return null;
        }
    }

    private void recordPartly(String key, String name, ClosedLoop.PartlyTimedOp op) throws InterruptedException {
        LatencySummary s = ClosedLoop.runPartlyTimed(name, 1, dur(warmup), dur(seconds), 0, op);
        out.latencies.add(Latency.of(roundKey(key), s));
        logLatency(s);
    }

    /** Waits (bounded) for the persist queue to empty so the next phase does not share the CPU with uploads. */
    private long drain(BenchRig rig, String when) throws InterruptedException {
        long t0 = System.nanoTime();
        long before = rig.persistQueue().pending();
        long left = rig.awaitPersisted(Duration.ofSeconds(drainTimeout), Duration.ofMillis(250));
        if (before > 0) {
            log("drain %s: %d pending -> %d in %.1f s", when, before, left, (System.nanoTime() - t0) / 1e9);
        }
        if (left > 0) {
            out.notes.add("persist backlog " + when + ": " + left + " tasks still pending after " + drainTimeout + " s");
        }
        return left;
    }

    private static void put(S3Client client, String bucket, String key, byte[] body) {
        client.putObject(b -> b.bucket(bucket).key(key).contentLength((long) body.length), RequestBody.fromBytes(body));
    }

    private static long timedGet(S3Client client, String bucket, String key, int expected) {
        long t0 = System.nanoTime();
        ResponseBytes<GetObjectResponse> bytes = client.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        long ns = System.nanoTime() - t0;
        if (bytes.asByteArrayUnsafe().length != expected) {
            throw new IllegalStateException("GET " + bucket + "/" + key + " returned " + bytes.asByteArrayUnsafe().length
                    + " bytes, expected " + expected);
        }
        return ns;
    }

    @FunctionalInterface
    private interface IndexedTask {
        void run(int i) throws Exception;
    }

    /**
     * Runs {@code task(0..count-1)} on {@code threads} threads, starting no task after
     * {@code deadlineNanos}; returns how many ran. The first failure is rethrown.
     */
    private static int parallel(int threads, int count, long deadlineNanos, IndexedTask task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger next = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int i; System.nanoTime() < deadlineNanos && (i = next.getAndIncrement()) < count; ) {
                        task.run(i);
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return done.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** The CPU per operation of each thread group (at least 0.5 ms), over the run's warm-up and measured time. */
    private static void logThreadCpu(CpuMeter.Snapshot a, CpuMeter.Snapshot b, double opsPerSecond) {
        logThreadCpu(a, b, opsPerSecond, 0.5);
    }

    /** The CPU per operation of each thread group that spent at least {@code minMs} per operation between a and b. */
    private static void logThreadCpu(CpuMeter.Snapshot a, CpuMeter.Snapshot b, double opsPerSecond, double minMs) {
        double ops = opsPerSecond * (b.wallNanos() - a.wallNanos()) / 1e9;
        for (var e : CpuMeter.msPerOpByGroup(a, b, ops, minMs)) {
            log("  cpu %-34s %8.2f ms/op", e.getKey(), e.getValue());
        }
    }

    private static void logLatency(LatencySummary s) {
        log("%-48s c=%-3d p50 %8.3f ms  p99 %8.3f ms  %8.0f ops/s  (%d ops%s)", s.name(), s.concurrency(), s.p50Ms(),
                s.p99Ms(), s.opsPerSecond(), s.ops(), s.errors() > 0 ? ", " + s.errors() + " errors: " + s.firstError() : "");
    }

    private static void log(String fmt, Object... args) {
        System.out.println("bench: " + String.format(Locale.ROOT, fmt, args));
    }

    private static Duration dur(double seconds) {
        return Duration.ofMillis((long) (seconds * 1000));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** A histogram holder so lambdas and loops can share one. */
    private static final class Histogram {
        final org.HdrHistogram.Histogram h = LatencySummary.newHistogram();
    }

    /** The worker logs every start-up step at INFO and the Record Layer every retried conflict at WARN. */
    private static void quietLogging() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
            ctx.getLogger("com.apple.foundationdb").setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static long totalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return -1;
    }

    private static String osRelease() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // not Linux, or unreadable: the kernel name above is enough
        }
        return "unknown distribution";
    }
}
