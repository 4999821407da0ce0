package io.wcache.tools.wcadm;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.TempDirs;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every wcadm command against a real worker running in a child JVM, checking output and exit
 * codes. The worker has two mounts: {@code /demo} on a working local UFS, and {@code /flaky}
 * whose UFS directory is blocked by a regular file until a test removes it, so uploads fail and
 * retry, which makes {@code NOT_PERSISTED} observable before {@code PERSISTED}.
 */
class WcadmCommandsTest {

    private static Path root;
    private static Process worker;
    private static Writer workerIn;
    private static BufferedReader workerOut;
    private static String endpoint;

    record Result(int code, String out, String err) {
        JsonNode json() {
            try {
                return AdminClient.JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    @BeforeAll
    static void startWorker() throws Exception {
        root = TempDirs.create("wcadm-");
        Path demo = root.resolve("ufs/demo");
        Files.createDirectories(demo);
        Files.createDirectories(root.resolve("ufs"));
        // Regular files where /flaky's UFS subdirectories should be: every upload below them fails.
        Files.createDirectories(root.resolve("ufs/flaky"));
        Files.writeString(root.resolve("ufs/flaky/reports"), "blocked");
        Files.writeString(root.resolve("ufs/flaky/held"), "blocked");
        Path cfg = root.resolve("wcache.yaml");
        Files.writeString(cfg, "data.dir: " + root + "\n"
                + "cache.capacity: 256MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "admin.address: 127.0.0.1:0\n"
                + "admin.request.timeout: 2s\n"
                + "path.default.policy: WRITE_BACK\n"
                + "worker.write.cache.async.persist.retry.initial.interval: 200ms\n"
                + "worker.write.cache.async.persist.retry.max.interval: 500ms\n"
                + "mounts:\n"
                + "  - path: /demo\n    ufs: " + demo.toUri() + "\n"
                + "  - path: /flaky\n    ufs: " + root.resolve("ufs/flaky").toUri() + "\n");
        Path ports = root.resolve("ports");
        ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                AdminWorkerChild.class.getName(), cfg.toString(), ports.toString());
        pb.redirectError(root.resolve("worker.log").toFile());
        worker = pb.start();
        workerIn = new java.io.OutputStreamWriter(worker.getOutputStream(), StandardCharsets.UTF_8);
        workerOut = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ports)) {
            assertThat(worker.isAlive()).as("worker exited: " + log()).isTrue();
            assertThat(System.nanoTime()).as("worker did not start in 60s: " + log()).isLessThan(deadline);
            Thread.sleep(50);
        }
        String admin = Files.readAllLines(ports).stream().filter(l -> l.startsWith("admin=")).findFirst().orElseThrow();
        endpoint = "http://" + admin.substring("admin=".length());
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (worker != null) {
            try {
                command("stop");
            } catch (IOException | AssertionError ignored) {
                // already gone
            }
            if (!worker.waitFor(20, TimeUnit.SECONDS)) {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        TempDirs.delete(root);
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String log() {
        try {
            return Files.readString(root.resolve("worker.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static synchronized void command(String line) throws IOException {
        workerIn.write(line + "\n");
        workerIn.flush();
        String answer;
        do {
            answer = workerOut.readLine();
        } while (answer != null && !answer.startsWith(AdminWorkerChild.ANSWER));
        assertThat(answer).as(line + "; worker log: " + log()).isEqualTo(AdminWorkerChild.ANSWER + "ok");
    }

    /** The worker's token file (data.dir is {@link #root}), as an operator would point wcadm at it. */
    static Path tokenFile() {
        return root.resolve("admin.token");
    }

    static String token() {
        try {
            return Files.readString(tokenFile()).trim();
        } catch (IOException e) {
            throw new AssertionError("the worker wrote no admin.token", e);
        }
    }

    static Result wcadm(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--endpoint");
        all.add(endpoint);
        return wcadmIn(root, Map.of("WCADM_TOKEN_FILE", tokenFile().toString()), all.toArray(String[]::new));
    }

    /** wcadm as if run in {@code workDir} with exactly the environment {@code env}. */
    static Result wcadmIn(Path workDir, Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Wcadm.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env, workDir);
        return new Result(code, out.toString(), err.toString());
    }

    static String persistState(String path) {
        Result r = wcadm("fs", "stat", path, "--json");
        assertThat(r.code()).as(r.err()).isZero();
        return r.json().path("persistState").asText();
    }

    static void awaitPersisted(String path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!persistState(path).equals("PERSISTED")) {
            assertThat(System.nanoTime()).as(path + " not persisted in 20s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void infoShowsVersionEngineWorkersMountsAndCapacity() {
        Result r = wcadm("info");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Version:", "Write cache enabled:", "true", "Metadata engine:", "embedded:",
                "Capacity:", "256.0 MiB", "/demo", "/flaky", "worker-1");
        JsonNode j = wcadm("info", "--json").json();
        assertThat(j.path("writeCacheEnabled").asBoolean()).isTrue();
        assertThat(j.path("capacity").path("capacityBytes").asLong()).isEqualTo(256L << 20);
        assertThat(j.path("mounts")).hasSize(2);
    }

    @Test
    void pathconfigSetResolveShowImportAndUnset() throws IOException {
        Result set = wcadm("pathconfig", "set", "/demo/tmp", "--policy", "TRANSIENT", "--replicas", "1");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("Update successful!");

        Result resolve = wcadm("pathconfig", "resolve", "/demo/tmp/x/y", "--json");
        assertThat(resolve.out()).contains("\"policyMode\" : \"TRANSIENT\"");
        assertThat(resolve.json().path("matchedRule").asText()).isEqualTo("/demo/tmp");
        Result human = wcadm("pathconfig", "resolve", "/demo/other");
        assertThat(human.out()).contains("WRITE_BACK", "(none: global default)");

        assertThat(wcadm("pathconfig", "show").out()).contains("/demo/tmp", "TRANSIENT");

        Path doc = root.resolve("pc.yaml");
        Files.writeString(doc, "default:\n  policy: WRITE_BACK\n  writeReplicas: 1\nrules:\n"
                + "  - prefix: /demo/ro\n    policy: READ_ONLY\n");
        Result imp = wcadm("pathconfig", "import", doc.toString());
        assertThat(imp.code()).as(imp.err()).isZero();
        assertThat(imp.out()).contains("Update successful!");
        JsonNode show = wcadm("pathconfig", "show", "--json").json();
        assertThat(show.path("rules")).hasSize(1);
        assertThat(show.path("rules").get(0).path("path").asText()).isEqualTo("/demo/ro");

        // A bad document is refused whole, with the reason, and nothing changes.
        Files.writeString(doc, "rules:\n  - prefix: /demo/x\n    policy: WRITE_SIDEWAYS\n");
        Result bad = wcadm("pathconfig", "import", doc.toString());
        assertThat(bad.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(bad.err()).contains("WRITE_SIDEWAYS", "next:");
        assertThat(wcadm("pathconfig", "show", "--json").json().path("rules")).hasSize(1);

        Result badPolicy = wcadm("pathconfig", "set", "/demo/x", "--policy", "FAST");
        assertThat(badPolicy.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(badPolicy.err()).contains("'FAST' is not a write policy", "WRITE_BACK");

        assertThat(wcadm("pathconfig", "unset", "/demo/ro").out()).contains("Update successful!");
        assertThat(wcadm("pathconfig", "show", "--json").json().path("rules")).isEmpty();
        Result again = wcadm("pathconfig", "unset", "/demo/ro");
        assertThat(again.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(again.err()).contains("no path rule for /demo/ro");
    }

    @Test
    void lsShowsNotPersistedWhileUploadsFailThenPersisted() throws Exception {
        command("put /flaky/reports/report.csv 5000");
        Result ls = wcadm("fs", "ls", "/flaky/reports/report.csv");
        assertThat(ls.code()).as(ls.err()).isZero();
        assertThat(ls.out()).containsAnyOf("NOT_PERSISTED", "PERSISTING").contains("/flaky/reports/report.csv", "COMMITTED", "4.9 KiB");

        // The upload keeps failing: the queue shows it, with the error, and retries.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode row = null;
        do {
            Thread.sleep(100);
            for (JsonNode r : wcadm("async-persist", "list", "--json").json()) {
                if (r.path("path").asText().equals("/flaky/reports/report.csv") && r.hasNonNull("lastError")) {
                    row = r;
                }
            }
        } while (row == null && System.nanoTime() < deadline);
        assertThat(row).as("a failed attempt listed for /flaky/reports/report.csv").isNotNull();
        assertThat(row.path("attempts").asInt()).isPositive();
        // What the worker's persister is doing with it: waiting out its backoff, or running again.
        assertThat(row.path("state").asText()).isIn("RETRYING", "IN_FLIGHT", "QUEUED");
        assertThat(wcadm("async-persist", "list").out())
                .contains("/flaky/reports/report.csv", "STATE", "ATTEMPTS", "LAST ERROR");
        JsonNode stat = wcadm("async-persist", "stat", "--json").json();
        // The failing task is pending in exactly one of the three states, its bytes are pending,
        // and the attempt that failed is counted.
        assertThat(stat.path("queued").asLong() + stat.path("inFlight").asLong() + stat.path("retrying").asLong())
                .as("pending tasks in %s", stat).isPositive();
        assertThat(stat.path("bytesPending").asLong()).as("bytes pending in %s", stat).isGreaterThanOrEqualTo(5000);
        assertThat(stat.path("failedAttempts").asLong()).as("failed attempts in %s", stat).isPositive();
        assertThat(wcadm("async-persist", "stat").out()).contains("Queued:", "Retrying:", "Oldest pending age:",
                "Bytes pending:", "Throughput:");

        Files.delete(root.resolve("ufs/flaky/reports"));
        awaitPersisted("/flaky/reports/report.csv");
        assertThat(wcadm("fs", "ls", "-R", "/flaky/reports").out()).contains("/flaky/reports/report.csv", "PERSISTED")
                .doesNotContain("NOT_PERSISTED");
        assertThat(Files.size(root.resolve("ufs/flaky/reports/report.csv"))).isEqualTo(5000);
        assertThat(wcadm("async-persist", "stat", "--json").json().path("persisted").asLong()).isPositive();
    }

    @Test
    void lsShowsDirectoriesTransientFilesAndUfsOnlyFiles() throws Exception {
        assertThat(wcadm("pathconfig", "set", "/demo/scratch", "--policy", "TRANSIENT").code()).isZero();
        command("put /demo/scratch/t1 10");
        Files.createDirectories(root.resolve("ufs/demo/old"));
        Files.writeString(root.resolve("ufs/demo/old/legacy.txt"), "from the object store");
        Result top = wcadm("fs", "ls", "/demo");
        assertThat(top.out()).contains("DIR", "/demo/scratch/", "/demo/old/");
        Result rec = wcadm("fs", "ls", "-R", "/demo");
        assertThat(rec.out()).contains("/demo/scratch/t1", "TRANSIENT", "/demo/old/legacy.txt");
        JsonNode legacy = wcadm("fs", "stat", "/demo/old/legacy.txt", "--json").json();
        assertThat(legacy.path("persistState").asText()).isEqualTo("PERSISTED");
        assertThat(legacy.path("size").asLong()).isEqualTo(21);
        assertThat(wcadm("fs", "ls", "/").out()).contains("/demo/", "/flaky/");
        assertThat(wcadm("pathconfig", "unset", "/demo/scratch").code()).isZero();
    }

    @Test
    void statOfMissingPathSaysWhatToDoAndExitsOne() {
        Result r = wcadm("fs", "stat", "/demo/nope");
        assertThat(r.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(r.err()).contains("no such file or directory: /demo/nope", "[NOT_FOUND]", "next:");
        Result badMount = wcadm("fs", "ls", "/nomount/x");
        assertThat(badMount.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(badMount.err()).contains("nomount");
    }

    @Test
    void recursiveRmStreamsProgressAndRemovesEverything() throws Exception {
        for (int i = 0; i < 1200; i++) {
            command("put /demo/bulk/d" + (i % 3) + "/f" + i + " 10");
        }
        Result one = wcadm("fs", "rm", "/demo/bulk/d0/f0");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(one.out()).contains("removed /demo/bulk/d0/f0");

        Result dir = wcadm("fs", "rm", "/demo/bulk");
        assertThat(dir.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(dir.err()).contains("use -R");

        Result rm = wcadm("fs", "rm", "-R", "/demo/bulk");
        assertThat(rm.code()).as(rm.err()).isZero();
        // Not a terminal: one plain progress line per batch, then the summary.
        assertThat(rm.out()).contains("rm: 500 files", "rm: 1000 files", "files under /demo/bulk");
        Result gone = wcadm("fs", "ls", "-R", "/demo/bulk");
        assertThat(gone.out()).doesNotContain("/demo/bulk/d");
        Result again = wcadm("fs", "rm", "-R", "/demo/bulk", "--json");
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("\"done\":true", "\"processed\":0");
    }

    @Test
    void freeEvictsPersistedDataButKeepsTheFileReadableFromTheUfs() throws Exception {
        command("put /demo/big/a 2000000");
        command("put /demo/big/b 2000000");
        awaitPersisted("/demo/big/a");
        awaitPersisted("/demo/big/b");
        JsonNode before = wcadm("cache", "stat", "--json").json();
        assertThat(before.path("evictableBytes").asLong()).isGreaterThanOrEqualTo(4_000_000);

        Result free = wcadm("fs", "free", "/demo/big");
        assertThat(free.code()).as(free.err()).isZero();
        assertThat(free.out()).contains("freed 4000000 cached bytes of 2 persisted files under /demo/big");
        JsonNode after = wcadm("cache", "stat", "--json").json();
        assertThat(after.path("evictableBytes").asLong()).isLessThanOrEqualTo(before.path("evictableBytes").asLong() - 4_000_000);
        JsonNode a = wcadm("fs", "stat", "/demo/big/a", "--json").json();
        assertThat(a.path("size").asLong()).isEqualTo(2_000_000);
        assertThat(a.path("persistState").asText()).isEqualTo("PERSISTED");
    }

    @Test
    void freeNeverEvictsUnpersistedData() throws Exception {
        command("put /flaky/held/pinned 3000");
        Result free = wcadm("fs", "free", "/flaky/held");
        assertThat(free.code()).as(free.err()).isZero();
        assertThat(free.out()).contains("freed 0 cached bytes", "not yet persisted, kept");
    }

    @Test
    void orphanListAndCleanAbortOldSessions() throws Exception {
        command("open /demo/orphans/half-written");
        Thread.sleep(50);
        Result none = wcadm("orphan", "list");
        assertThat(none.out()).doesNotContain("half-written");
        Result list = wcadm("orphan", "list", "--older-than", "1ms");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("PATH", "CREATED", "OWNER");
        boolean listed = list.out().contains("/demo/orphans/half-written");

        Result clean = wcadm("orphan", "clean", "--older-than", "1ms");
        assertThat(clean.code()).as(clean.err()).isZero();
        assertThat(clean.out()).contains(listed ? "aborted 1 sessions older than" : "sessions older than");
        assertThat(wcadm("orphan", "list", "--older-than", "1ms", "--json").json()).isEmpty();

        Result sweep = wcadm("orphan", "clean");
        assertThat(sweep.code()).isZero();
        assertThat(sweep.out()).contains("orphaned and", "dangling sessions");
        Result bad = wcadm("orphan", "clean", "--older-than", "soon");
        assertThat(bad.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(bad.err()).contains("soon");
    }

    @Test
    void mountAddListAndRemove() throws Exception {
        Path dir = root.resolve("ufs/extra");
        Result add = wcadm("mount", "add", "/extra", dir.toUri().toString());
        assertThat(add.code()).as(add.err()).isZero();
        assertThat(add.out()).contains("Mount /extra added.");
        assertThat(wcadm("mount", "list").out()).contains("/extra", "metadata", "/demo", "config");
        Result dup = wcadm("mount", "add", "/extra", dir.toUri().toString());
        assertThat(dup.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(dup.err()).contains("already exists");
        Result configured = wcadm("mount", "remove", "/demo");
        assertThat(configured.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(configured.err()).contains("config file");
        assertThat(wcadm("mount", "remove", "/extra").out()).contains("Mount /extra removed.");
        assertThat(wcadm("mount", "list", "--json").json()).hasSize(2);
    }

    @Test
    void cacheStatShowsCapacityPinnedEvictableFreeAndDirectories() {
        Result r = wcadm("cache", "stat");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Capacity:", "256.0 MiB", "Pinned:", "(cap 76.8 MiB)", "Evictable:", "Free:",
                "DIRECTORY", root.resolve("cache").toString());
        JsonNode j = wcadm("cache", "stat", "--json").json();
        assertThat(j.path("directories")).hasSize(1);
        assertThat(j.path("pinnedCapBytes").asLong()).isEqualTo((long) ((256L << 20) * 0.3));
    }

    @Test
    void metricsEndpointServesPrometheusText() throws Exception {
        command("put /demo/metrics/m1 100");
        assertThat(wcadm("info").code()).isZero();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("wcache_cache_pinned_bytes", "wcache_cache_evictable_bytes",
                "wcache_persist_queue_depth", "wcache_persist_lag_seconds", "wcache_cache_evictions_total",
                "wcache_sweep_runs_total", "wcache_pipeline_batch_chunks_count", "wcache_pipeline_sync_seconds",
                "wcache_admin_requests_seconds_count{operation=\"GET /api/v1/info\"")
                .doesNotContain("wcache_cache_pinned_bytes NaN");
    }

    @Test
    void unknownEndpointIsAJsonErrorWithAHint() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint + "/api/v1/nope"))
                .header("Authorization", "Bearer " + token()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode j = AdminClient.JSON.readTree(r.body());
        assertThat(j.path("error").asText()).isEqualTo("NO_SUCH_ENDPOINT");
        assertThat(j.path("hint").asText()).isNotEmpty();
    }

    @Test
    void exitCodesOfAChildProcessForUsageAndUnreachableWorker() throws Exception {
        // A port nothing listens on: bind one, note it, close it.
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ProcessResult down = runChild("info", "--endpoint", "http://127.0.0.1:" + port);
        assertThat(down.code()).isEqualTo(Wcadm.UNREACHABLE);
        assertThat(down.err()).contains("is `./wcache serve` running?", "127.0.0.1:" + port);

        ProcessResult usage = runChild("fs", "ls", "--no-such-option");
        assertThat(usage.code()).isEqualTo(Wcadm.USAGE);
        assertThat(usage.err()).contains("Unknown option");

        ProcessResult ok = runChild("fs", "ls", "/demo", "--endpoint", endpoint);
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("SIZE", "PERSIST", "PATH");

        ProcessResult missing = runChild("fs", "stat", "/demo/absent", "--endpoint", endpoint);
        assertThat(missing.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(missing.err()).contains("NOT_FOUND");
    }

    /** Issue: {@code wcadm --endpoint URL info} failed with "Unknown options: '--endpoint'". */
    @Test
    void globalOptionsAreAcceptedBeforeOrAfterTheSubcommand() throws Exception {
        ProcessResult first = runChild("--endpoint", endpoint, "info");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("Version:", "/demo");

        Result jsonFirst = wcadm("--json", "fs", "ls", "/demo");
        assertThat(jsonFirst.code()).as(jsonFirst.err()).isZero();
        assertThat(jsonFirst.json().path("path").asText()).isEqualTo("/demo");
        Result between = wcadmIn(root, Map.of(), "fs", "--endpoint", endpoint, "--token", token(), "ls", "--json", "/demo");
        assertThat(between.code()).as(between.err()).isZero();
        assertThat(between.json().path("path").asText()).isEqualTo("/demo");
        Result tokenFirst = wcadmIn(root, Map.of(), "--token", token(), "--endpoint", endpoint, "mount", "list");
        assertThat(tokenFirst.code()).as(tokenFirst.err()).isZero();
        assertThat(tokenFirst.out()).contains("/demo", "/flaky");
        assertThat(wcadm("--help").out()).contains("--endpoint", "--token", "--json", "--cacert", "--insecure");
    }

    /** --token, else $WCADM_TOKEN, else the file $WCADM_TOKEN_FILE names, else ./data/admin.token. */
    @Test
    void wcadmFindsTheTokenInItsDocumentedOrder() throws Exception {
        String good = token();
        Path dir = root.resolve("operator");
        Files.createDirectories(dir.resolve("data"));
        Path wrongFile = root.resolve("wrong.token");
        Files.writeString(wrongFile, "wrong\n");
        try {
            // Nothing anywhere: the worker refuses, and says where wcadm looks.
            Result none = wcadmIn(dir, Map.of(), "--endpoint", endpoint, "info");
            assertThat(none.code()).isEqualTo(Wcadm.SERVER_ERROR);
            assertThat(none.err()).contains("[UNAUTHORIZED]", "WCADM_TOKEN_FILE", "./data/admin.token");

            // ./data/admin.token in the working directory, as for ./wcadm run beside ./wcache serve.
            Files.writeString(dir.resolve("data/admin.token"), good + "\n");
            assertThat(wcadmIn(dir, Map.of(), "--endpoint", endpoint, "info").code()).isZero();

            // $WCADM_TOKEN_FILE comes before ./data/admin.token.
            Files.writeString(dir.resolve("data/admin.token"), "wrong\n");
            assertThat(wcadmIn(dir, Map.of(), "--endpoint", endpoint, "info").code()).isEqualTo(Wcadm.SERVER_ERROR);
            assertThat(wcadmIn(dir, Map.of("WCADM_TOKEN_FILE", tokenFile().toString()), "--endpoint", endpoint, "info")
                    .code()).isZero();

            // $WCADM_TOKEN comes before $WCADM_TOKEN_FILE.
            assertThat(wcadmIn(dir, Map.of("WCADM_TOKEN", good, "WCADM_TOKEN_FILE", wrongFile.toString()),
                    "--endpoint", endpoint, "info").code()).isZero();
            assertThat(wcadmIn(dir, Map.of("WCADM_TOKEN", "wrong", "WCADM_TOKEN_FILE", tokenFile().toString()),
                    "--endpoint", endpoint, "info").code()).isEqualTo(Wcadm.SERVER_ERROR);

            // --token comes before everything.
            assertThat(wcadmIn(dir, Map.of("WCADM_TOKEN", "wrong"), "--token", good, "--endpoint", endpoint, "info")
                    .code()).isZero();
            assertThat(wcadmIn(dir, Map.of("WCADM_TOKEN", good), "--token", "wrong", "--endpoint", endpoint, "info")
                    .code()).isEqualTo(Wcadm.SERVER_ERROR);

            // A token file that is named but missing is a usage error naming it, not a silent fallback.
            Result missing = wcadmIn(dir, Map.of("WCADM_TOKEN_FILE", "no/such.token"), "--endpoint", endpoint, "info");
            assertThat(missing.code()).isEqualTo(Wcadm.USAGE);
            assertThat(missing.err()).contains("WCADM_TOKEN_FILE", "no/such.token");
        } finally {
            Files.deleteIfExists(dir.resolve("data/admin.token"));
        }
    }

    @Test
    void pathconfigImportSendsJsonAndTheApiRefusesOtherBodies() throws Exception {
        HttpResponse<String> yaml = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint
                        + "/api/v1/pathconfig")).header("Authorization", "Bearer " + token())
                .header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("default:\n  policy: WRITE_BACK\n")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(yaml.statusCode()).isEqualTo(415);
        assertThat(yaml.body()).contains("UNSUPPORTED_MEDIA_TYPE");
    }

    /** Slowloris: a request head or body that never completes is cut after admin.request.timeout (2s here). */
    @Test
    void aRequestThatIsNeverFinishedIsDisconnected() throws Exception {
        URI admin = URI.create(endpoint);
        for (String partial : new String[] {"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                "PUT /api/v1/pathconfig/rule HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token()
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pa"}) {
            try (java.net.Socket s = new java.net.Socket(admin.getHost(), admin.getPort())) {
                // The bound of this wait, far above the configured 2s: without the limit it expires.
                s.setSoTimeout(60_000);
                s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(s.getInputStream().read()).as("the server closed the connection").isEqualTo(-1);
            }
        }
        assertThat(wcadm("info").code()).isZero();
    }

    record ProcessResult(int code, String out, String err) {
    }

    static ProcessResult runChild(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Wcadm.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("WCADM_ENDPOINT");
        pb.environment().remove("WCADM_TOKEN");
        pb.environment().put("WCADM_TOKEN_FILE", tokenFile().toString());
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new ProcessResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
