package io.wcache.fdb.embedded;

import com.apple.foundationdb.Database;
import io.wcache.fdb.MetadataEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The same API conformance suite against real FoundationDB, proving the embedded engine behaves like it.
 * Uses {@code FDB_CLUSTER_FILE} when set, else a FoundationDB container where a Docker engine exists;
 * otherwise it is skipped with a message. Needs libfdb_c on the host, and a JVM in which the embedded
 * engine has not run (the module's Surefire configuration forks one JVM per test class).
 */
class FoundationDbConformanceTest extends DatabaseConformance {
    private static final String IMAGE = "foundationdb/foundationdb:7.1.26";
    private static GenericContainer<?> container;
    private static MetadataEngine engine;

    @BeforeAll
    static void connect() throws Exception {
        skipUnless(!NativeFreeFdbClient.isInstalled(),
                "the embedded engine already ran in this JVM; real FoundationDB needs its own JVM");
        String clusterFile = System.getenv("FDB_CLUSTER_FILE");
        if (clusterFile == null || clusterFile.isBlank()) {
            skipUnless(dockerAvailable(),
                    "no FoundationDB reachable (FDB_CLUSTER_FILE unset and no Docker engine for " + IMAGE + ")");
            skipUnless(nativeClientAvailable(), "libfdb_c is not installed on this host, so fdb-java cannot reach FoundationDB");
            clusterFile = startContainer().toString();
        }
        skipUnless(nativeClientAvailable(), "libfdb_c is not installed on this host, so fdb-java cannot reach FoundationDB");
        engine = MetadataEngine.open("fdb:" + clusterFile);
    }

    private static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            System.err.println("NOTICE: FoundationDB conformance run skipped: " + reason);
            Assumptions.abort("skipped: " + reason);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean nativeClientAvailable() {
        try {
            com.apple.foundationdb.FDB.selectAPIVersion(NativeFreeFdbClient.API_VERSION);
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    private static Path startContainer() throws Exception {
        // Host networking makes the server advertise 127.0.0.1:4500, which the host client can reach.
        container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                .withEnv("FDB_NETWORKING_MODE", "host")
                .withEnv("FDB_PORT", "4500")
                .waitingFor(Wait.forLogMessage(".*FDBD joined cluster.*\\n", 1).withStartupTimeout(Duration.ofMinutes(2)));
        container.start();
        container.execInContainer("fdbcli", "--exec", "configure new single memory");
        Path file = Files.createTempFile("fdb", ".cluster");
        Files.writeString(file, "docker:docker@127.0.0.1:4500\n");
        return file;
    }

    @AfterAll
    static void disconnect() {
        if (engine != null) {
            engine.close();
        }
        if (container != null) {
            container.stop();
        }
    }

    @Override
    protected Database database() {
        return engine.database();
    }
}
