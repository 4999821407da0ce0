package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM appends and syncs, printing each synced location; it is killed with SIGKILL while
 * appending. Every location it reported as synced must read back intact after reopening.
 */
class KillRecoveryTest {

    @TempDir
    Path dir;

    /** The child: appends forever, printing "seq dir segment position length" after each sync. */
    public static final class Child {
        public static void main(String[] args) {
            LogStoreConfig cfg = TestData.config(Paths.get(args[0]), 1L << 30, 256 << 10);
            LogStore store = LogStore.open(cfg, ExtentRelocator.NONE);
            long seq = 0;
            while (true) {
                List<String> lines = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int size = (int) ((seq * 7919) % 30_000);
                    Location l = store.appendEvictable(1, seq, TestData.heap(seq, size));
                    lines.add(seq + " " + l.dir() + " " + l.segmentId() + " " + l.position() + " " + l.length());
                    seq++;
                }
                store.sync();
                for (String line : lines) {
                    System.out.println(line);
                }
                System.out.flush();
            }
        }
    }

    @Test
    void everySyncedRecordSurvivesSigkill() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<long[]> synced = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String line;
            while (synced.size() < 400 && System.nanoTime() < deadline && (line = out.readLine()) != null) {
                String[] f = line.trim().split(" ");
                synced.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                        Long.parseLong(f[3]), Long.parseLong(f[4])});
            }
        } finally {
            // SIGKILL: no shutdown hook, no close(); also stops the child if reading failed
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(synced).hasSizeGreaterThanOrEqualTo(400);
        try (LogStore store = LogStore.open(TestData.config(dir, 1L << 30, 256 << 10), ExtentRelocator.NONE)) {
            for (long[] s : synced) {
                Location loc = new Location((int) s[1], s[2], s[3], (int) s[4]);
                assertThat(TestData.array(store.read(loc))).as("synced record %d", s[0]).isEqualTo(TestData.bytes(s[0], (int) s[4]));
            }
            assertThat(store.scanRecords().size()).isGreaterThanOrEqualTo(synced.size());
        }
    }
}
