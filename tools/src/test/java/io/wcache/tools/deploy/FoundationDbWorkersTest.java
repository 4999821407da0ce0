package io.wcache.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.WorkerMain;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The production shape on real FoundationDB: two {@code wcache serve} processes, each its own
 * machine as far as wcache knows (its own name, data directory and ports), share their metadata in
 * one FoundationDB cluster ({@code metadata.engine: fdb:<cluster file>}). Both register in the
 * membership; an object written through one reads back identical through the other; a worker
 * killed with SIGKILL becomes {@code dead} for the other once its lease lapses.
 *
 * <p>Uses {@code FDB_CLUSTER_FILE} when set, else a FoundationDB container where a Docker engine
 * exists; it also needs FoundationDB's client library (libfdb_c 7.1) on the host. Without them it is
 * skipped with a message, as on the machines this project is built on.
 */
class FoundationDbWorkersTest {

    private static final String IMAGE = "foundationdb/foundationdb:7.1.26";
    private static GenericContainer<?> container;
    private static Path clusterFile;

    @BeforeAll
    static void foundationDb() throws Exception {
        skipUnless(clientLibraryInstalled(), "libfdb_c is not installed on this host, so fdb-java cannot reach FoundationDB");
        String env = System.getenv("FDB_CLUSTER_FILE");
        if (env != null && !env.isBlank()) {
            clusterFile = Path.of(env);
            return;
        }
        skipUnless(dockerAvailable(), "no FoundationDB reachable (FDB_CLUSTER_FILE unset and no Docker engine for "
                + IMAGE + ")");
        // Host networking makes the server advertise 127.0.0.1:4500, which the host's client reaches.
        container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                .withEnv("FDB_NETWORKING_MODE", "host")
                .withEnv("FDB_PORT", "4500")
                .waitingFor(Wait.forLogMessage(".*FDBD joined cluster.*\\n", 1).withStartupTimeout(Duration.ofMinutes(2)));
        container.start();
        container.execInContainer("fdbcli", "--exec", "configure new single memory");
        clusterFile = Files.createTempFile("fdb", ".cluster");
        Files.writeString(clusterFile, "docker:docker@127.0.0.1:4500\n");
    }

    @AfterAll
    static void stopFoundationDb() {
        if (container != null) {
            container.stop();
        }
    }

    @Test
    void twoWorkersShareFoundationDbReadEachOthersObjectsAndSeeAKilledOneDie() throws Exception {
        Path root = TempDirs.create("fdb-workers").toAbsolutePath();
        Path ufs = root.resolve("ufs/demo");
        Files.createDirectories(ufs);
        // A name of this run: an external cluster may hold the workers of earlier runs.
        String run = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        Process a = null;
        Process b = null;
        try {
            a = serve(root, ufs, "fdb-a-" + run);
            b = serve(root, ufs, "fdb-b-" + run);
            Map<String, String> portsA = ports(a, root.resolve("fdb-a-" + run));
            Map<String, String> portsB = ports(b, root.resolve("fdb-b-" + run));

            Map<String, String> states = states(portsB.get("admin"));
            assertThat(states).containsEntry("fdb-a-" + run, "live").containsEntry("fdb-b-" + run, "live");

            byte[] body = new byte[1 << 20];
            new Random(7).nextBytes(body);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://" + portsA.get("s3")
                    + "/demo/shared-" + run)).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create("http://" + portsB.get("s3")
                    + "/demo/shared-" + run)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(body);

            a.destroyForcibly();
            assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"dead".equals(states(portsB.get("admin")).get("fdb-a-" + run)) && System.nanoTime() < deadline) {
                b.waitFor(200, TimeUnit.MILLISECONDS);
            }
            assertThat(states(portsB.get("admin"))).containsEntry("fdb-a-" + run, "dead")
                    .containsEntry("fdb-b-" + run, "live");
        } finally {
            for (Process p : new Process[] {a, b}) {
                if (p != null) {
                    p.destroy();
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
        TempDirs.delete(root);
    }

    /** {@code wcache serve --name NAME} in a child JVM on FoundationDB, with its own data directory. */
    private static Process serve(Path root, Path ufs, String name) throws Exception {
        Path dir = root.resolve(name);
        Files.createDirectories(dir);
        Path config = dir.resolve("wcache.yaml");
        Files.writeString(config, "data.dir: " + dir.resolve("data") + "\n"
                + "metadata.engine: fdb:" + clusterFile + "\n"
                + "cache.capacity: 128MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.auth: none\n"
                + "admin.address: 127.0.0.1:0\n"
                + "admin.auth: none\n"
                + "path.default.policy: WRITE_THROUGH\n"
                + "cluster.lease.duration: 2s\n"
                + "cluster.heartbeat.interval: 200ms\n"
                + "mounts:\n  - path: /demo\n    ufs: " + ufs.toUri() + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                "serve", "--config", config.toString(), "--name", name, "--port-file", dir.resolve("ports").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile()).start();
    }

    /** The worker's bound addresses from its port file, once it serves (90 s at most). */
    private static Map<String, String> ports(Process p, Path dir) throws Exception {
        Path file = dir.resolve("ports");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("wcache serve exited: " + Files.readString(dir.resolve("serve.log")));
            }
            if (Files.exists(file)) {
                Map<String, String> out = new HashMap<>();
                for (String line : Files.readAllLines(file)) {
                    int eq = line.indexOf('=');
                    out.put(line.substring(0, eq), line.substring(eq + 1));
                }
                return out;
            }
            p.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("wcache serve did not start in 90 s: " + Files.readString(dir.resolve("serve.log")));
    }

    /** Worker name to state ({@code live}, {@code dead}, ...) from {@code GET /api/v1/workers}. */
    private static Map<String, String> states(String admin) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + admin + "/api/v1/workers")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, String> out = new HashMap<>();
        for (JsonNode w : new ObjectMapper().readTree(r.body())) {
            out.put(w.get("name").asText(), w.get("state").asText());
        }
        return out;
    }

    private static boolean clientLibraryInstalled() {
        String ld = System.getenv().getOrDefault("LD_LIBRARY_PATH", "");
        String paths = ld + File.pathSeparator + System.getProperty("java.library.path", "") + File.pathSeparator
                + "/usr/lib:/usr/lib64:/usr/local/lib:/usr/lib/x86_64-linux-gnu";
        for (String dir : paths.split(File.pathSeparator)) {
            if (!dir.isBlank() && Files.isRegularFile(Path.of(dir, "libfdb_c.so"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            System.err.println("NOTICE: FoundationDbWorkersTest skipped: " + reason);
            Assumptions.abort("skipped: " + reason);
        }
    }
}
