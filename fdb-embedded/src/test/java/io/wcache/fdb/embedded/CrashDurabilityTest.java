package io.wcache.fdb.embedded;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Crash durability: a child JVM commits in a loop and prints each acknowledged commit; it is killed with
 * SIGKILL at a random moment, and the reopened directory must hold every acknowledged transaction
 * completely and no transaction partially. Versions keep growing across the restarts, and the killed
 * children leave nothing behind in their temporary directory (RocksDB's native library included).
 */
class CrashDurabilityTest {
    private static final int ROUNDS = 20;

    @TempDir
    Path dir;

    /** The children's {@code java.io.tmpdir}. */
    @TempDir
    Path childTmp;

    @TempDir
    Path logs;

    @Test
    void everyAcknowledgedCommitSurvivesSigkillAndNoTransactionIsPartial() throws Exception {
        Random random = new Random();
        long lastVersion = 0;
        int totalAcked = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<String> lines = new CopyOnWriteArrayList<>();
            Process child = new ProcessBuilder(javaBinary(), "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Djava.io.tmpdir=" + childTmp, "-cp", System.getProperty("java.class.path"), CrashingCommitter.class.getName(),
                    dir.toString(), Long.toString(round * 10_000_000L), "3")
                    .redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve("child-stderr.log").toFile()))
                    .start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (java.io.IOException ignored) {
                    // The pipe breaks when the child dies; everything printed before that was read.
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lines.stream().noneMatch(l -> l.startsWith("READY")) && System.nanoTime() < deadline && child.isAlive()) {
                Thread.sleep(5);
            }
            assertThat(lines).as("child started").anyMatch(l -> l.startsWith("READY"));
            if (round == 0) {
                assertThatThrownBy(() -> EmbeddedDatabase.open(dir))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining(dir.toAbsolutePath().normalize().toString());
            }
            Thread.sleep(30 + random.nextInt(400));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);

            long readyVersion = Long.parseLong(lines.stream().filter(l -> l.startsWith("READY")).findFirst().orElseThrow().substring(6));
            assertThat(readyVersion).as("version recovered at restart").isGreaterThanOrEqualTo(lastVersion);
            Map<Long, Long> acked = new HashMap<>();
            for (String l : lines) {
                if (l.startsWith("ACK ")) {
                    String[] parts = l.split(" ");
                    acked.put(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
                }
            }
            totalAcked += acked.size();
            try (EmbeddedDatabase db = EmbeddedDatabase.open(dir)) {
                long recovered = db.committedVersion();
                Map<Long, Integer> partsById = new HashMap<>();
                db.read(tr -> {
                    for (KeyValue kv : tr.getRange(Range.startsWith("crash/".getBytes(StandardCharsets.US_ASCII))).asList().join()) {
                        String k = new String(kv.getKey(), StandardCharsets.US_ASCII);
                        long id = Long.parseLong(k.substring(6, 18));
                        partsById.merge(id, 1, Integer::sum);
                    }
                    return null;
                });
                for (Map.Entry<Long, Long> ack : acked.entrySet()) {
                    assertThat(partsById.get(ack.getKey())).as("acknowledged transaction %d in round %d", ack.getKey(), round)
                            .isEqualTo(CrashingCommitter.KEYS_PER_TRANSACTION);
                    assertThat(ack.getValue()).isLessThanOrEqualTo(recovered);
                }
                assertThat(partsById.values()).as("no partial transaction").allMatch(n -> n == CrashingCommitter.KEYS_PER_TRANSACTION);
                assertThat(recovered).isGreaterThanOrEqualTo(readyVersion);
                lastVersion = recovered;
            }
        }
        assertThat(totalAcked).as("the children acknowledged commits before dying").isGreaterThan(ROUNDS);
        try (var left = Files.list(childTmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("left in the killed children's temporary directory").isEmpty();
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
