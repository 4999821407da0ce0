package io.wcache.worker.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.ListQuery;
import io.wcache.core.cache.ListResult;
import io.wcache.core.cache.ObjectInfo;
import io.wcache.core.cache.ObjectReader;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.cache.WorkerCacheService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a worker in a child JVM while it takes concurrent writes (and persists in the
 * background), over several rounds on the same data: after each restart every acknowledged object
 * reads back byte-identical and every visible object is whole.
 */
class WorkerCrashTest {

    /**
     * Rounds per run: 10 in CI, times the soak factor {@code -Dwcache.soak=N} (the same knob the
     * property tests scale their tries by), so {@code -Dwcache.soak=10} is a 100-round SIGKILL soak.
     */
    private static final int ROUNDS = 10 * Math.max(1, Integer.getInteger("wcache.soak", 1));
    private static final Pattern ACK = Pattern.compile("ACK (/m/r\\d+/w\\d+-\\d+-\\d+) ([0-9a-f]{64})");

    @TempDir
    Path root;

    @Test
    void acknowledgedWritesSurviveSigkillAndNothingUnacknowledgedIsHalfVisible() throws Exception {
        Map<String, String> acked = new LinkedHashMap<>();
        Random random = new Random(42);
        String classPath = snapshotClassPath();
        int startRetries = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-cp", classPath,
                    CrashWriterChild.class.getName(), root.toString(), String.valueOf(round), "6")
                    .redirectError(root.resolve("child-" + round + ".err").toFile())
                    .start();
            List<String> lines = new ArrayList<>();
            CountDownLatch ready = new CountDownLatch(1);
            CountDownLatch firstAck = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.equals("READY")) {
                            ready.countDown();
                        } else if (line.startsWith("ACK ")) {
                            firstAck.countDown();
                        }
                        synchronized (lines) {
                            lines.add(line);
                        }
                    }
                } catch (Exception e) {
                    // the child died mid-line: the partial line does not match ACK
                }
            });
            reader.start();
            boolean started = false;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!started && child.isAlive() && System.nanoTime() < deadline) {
                started = ready.await(200, TimeUnit.MILLISECONDS);
            }
            started |= ready.getCount() == 0;
            if (!started && !child.isAlive() && startRetries < 3) {
                // A JVM that exits before starting the worker (e.g. class files rewritten by a concurrent
                // build of this module) wrote nothing: run the round again.
                startRetries++;
                round--;
                continue;
            }
            if (!started) {
                Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        String.valueOf(child.pid()), "Thread.print").redirectErrorStream(true).start();
                String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                child.destroyForcibly();
                String err = java.nio.file.Files.readString(root.resolve("child-" + round + ".err"));
                throw new AssertionError("round " + round + ": child did not start; stderr " + err + "\nthreads:\n" + dump);
            }
            // Kill at a random moment once writes are flowing (the JIT is cold on 2 shared cores).
            firstAck.await(30, TimeUnit.SECONDS);
            Thread.sleep(random.nextInt(1200));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);
            int ackedThisRound = 0;
            synchronized (lines) {
                for (String l : lines) {
                    var m = ACK.matcher(l);
                    if (m.matches()) {
                        acked.put(m.group(1), m.group(2));
                        ackedThisRound++;
                    }
                }
            }
            if (ackedThisRound == 0) {
                String err = java.nio.file.Files.readString(root.resolve("child-" + round + ".err"));
                throw new AssertionError("round " + round + " acknowledged nothing; output " + lines.subList(0, Math.min(5, lines.size()))
                        + "; stderr " + err.substring(Math.max(0, err.length() - 3000)));
            }
            verify(acked);
        }
    }

    /**
     * The test class path with its class directories copied aside, so the children never load a
     * class file that a concurrent build of this module is rewriting.
     */
    private String snapshotClassPath() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        int n = 0;
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            Path src = Path.of(entry);
            if (java.nio.file.Files.isDirectory(src)) {
                Path dst = root.resolve("cp").resolve(String.valueOf(n++));
                try (var walk = java.nio.file.Files.walk(src)) {
                    for (Path p : walk.toList()) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (java.nio.file.Files.isDirectory(p)) {
                            java.nio.file.Files.createDirectories(t);
                        } else {
                            java.nio.file.Files.copy(p, t);
                        }
                    }
                }
                out.add(dst.toString());
            } else {
                out.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, out);
    }

    private void verify(Map<String, String> acked) throws Exception {
        try (Worker w = TestWorkers.start(root)) {
            WorkerCacheService cache = w.cacheService();
            // Everything visible (acknowledged or not) is whole: its bytes are exactly what its writer wrote.
            Optional<String> token = Optional.empty();
            java.util.Set<String> visible = new java.util.HashSet<>();
            do {
                ListResult page = WorkerCacheService.await(cache.list(new ListQuery(NamespacePath.of("/m"), "r", "", "", 1000, token)));
                for (ObjectInfo o : page.objects()) {
                    String path = o.path().toString();
                    byte[] got = readAll(cache, path);
                    assertThat(got).as("visible %s", path).isEqualTo(CrashWriterChild.body(path));
                    if (acked.containsKey(path)) {
                        assertThat(CrashWriterChild.sha256(got)).as("acknowledged %s", path).isEqualTo(acked.get(path));
                    }
                    visible.add(path);
                }
                token = page.continuation();
            } while (token.isPresent());
            assertThat(visible).as("every acknowledged object is visible").containsAll(acked.keySet());
        }
    }

    private static byte[] readAll(WorkerCacheService cache, String path) {
        try (ObjectReader r = WorkerCacheService.await(cache.open(NamespacePath.of(path)))) {
            ByteBuffer b = WorkerCacheService.await(r.read(0, (int) r.info().size()));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }
}
