package io.wcache.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wcache.persister.testing.TempDirs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code wcache serve --name NAME} gives the worker its name in the cluster. Workers that share one
 * metadata store (one per machine on FoundationDB, deploy/kubernetes) each need their own: without
 * the option every {@code wcache serve} was {@code worker-1}.
 */
class ServeWorkerNameTest {

    @Test
    void aWorkerStartedWithNameRegistersUnderThatName() throws Exception {
        Path root = TempDirs.create("serve-name").toAbsolutePath();
        Path config = config(root);
        Path ports = root.resolve("ports");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                "serve", "--config", config.toString(), "--name", "wcache-3", "--port-file", ports.toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("serve.log").toFile()).start();
        try {
            String admin = adminAddress(p, ports, root.resolve("serve.log"));
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + admin + "/api/v1/workers")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<String> names = new ArrayList<>();
            for (JsonNode w : new ObjectMapper().readTree(r.body())) {
                names.add(w.get("name").asText());
            }
            assertThat(names).containsExactly("wcache-3");
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        TempDirs.delete(root);
    }

    @Test
    void aNameThatIsNotOneOrANameForSeveralWorkersIsRefusedBeforeAnythingStarts() throws Exception {
        Path root = TempDirs.create("serve-name-bad").toAbsolutePath();
        Path config = config(root);
        Path ports = root.resolve("ports");
        for (List<String> args : List.of(
                List.of("--name", "a/b"),
                List.of("--name", "-leading-dash"),
                List.of("--name", ""),
                List.of("--name", "wcache-0", "--workers", "2"))) {
            List<String> all = new ArrayList<>(List.of("serve", "--config", config.toString(), "--port-file",
                    ports.toString()));
            all.addAll(args);
            int code = new CommandLine(new WorkerMain()).execute(all.toArray(String[]::new));
            assertThat(code).as("wcache %s", all).isEqualTo(2);
            assertThat(ports).as("nothing started for %s", args).doesNotExist();
        }
        TempDirs.delete(root);
    }

    private static Path config(Path root) throws Exception {
        Path ufs = root.resolve("ufs/demo");
        Files.createDirectories(ufs);
        Path config = root.resolve("wcache.yaml");
        Files.writeString(config, "data.dir: " + root.resolve("data") + "\n"
                + "cache.capacity: 64MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.auth: none\n"
                + "admin.address: 127.0.0.1:0\n"
                + "admin.auth: none\n"
                + "mounts:\n  - path: /demo\n    ufs: " + ufs.toUri() + "\n");
        return config;
    }

    /** Waits (90 s at most) for the port file the worker writes once it serves; its admin address. */
    private static String adminAddress(Process p, Path ports, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("wcache serve exited: " + Files.readString(log));
            }
            if (Files.exists(ports)) {
                for (String line : Files.readAllLines(ports)) {
                    if (line.startsWith("admin=")) {
                        return line.substring("admin=".length());
                    }
                }
            }
            p.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("wcache serve did not write " + ports + " in 90 s: " + Files.readString(log));
    }
}
