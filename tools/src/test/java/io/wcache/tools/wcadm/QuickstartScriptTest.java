package io.wcache.tools.wcadm;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.TempDirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code docs/quickstart.sh}, the README's quickstart, end to end: a real worker serving S3
 * and the admin API, Debian's {@code /usr/bin/aws s3 cp}, {@code wcadm pathconfig set},
 * {@code wcadm fs ls} showing the file {@code NOT_PERSISTED} and then {@code PERSISTED}, and
 * {@code wcadm async-persist stat}. The worker and wcadm run from this build's classpath.
 */
class QuickstartScriptTest {

    @Test
    void readmeQuickstartRunsEndToEnd() throws Exception {
        Path script = Path.of("..", "docs", "quickstart.sh").toAbsolutePath().normalize();
        assertThat(script).exists();
        assertThat(Path.of("/usr/bin/aws")).as("Debian's awscli (./wcache test installs it)").exists();
        Path dir = TempDirs.create("quickstart-");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
        pb.environment().put("QUICKSTART_DIR", dir.toString());
        pb.environment().put("WCACHE_SERVE", java + " -Xmx512m -cp " + cp + " io.wcache.worker.WorkerMain serve");
        pb.environment().put("WCADM", java + " -Xmx64m -XX:TieredStopAtLevel=1 -cp " + cp + " " + Wcadm.class.getName());
        pb.environment().put("QUICKSTART_S3_ADDRESS", "127.0.0.1:0");
        pb.environment().put("QUICKSTART_ADMIN_ADDRESS", "127.0.0.1:0");
        // wcadm finds the worker's token by itself, in ./data/admin.token of the script's directory.
        pb.environment().remove("WCADM_ENDPOINT");
        pb.environment().remove("WCADM_TOKEN");
        pb.environment().remove("WCADM_TOKEN_FILE");
        pb.environment().remove("WCACHE_ADMIN_TOKEN");
        pb.redirectErrorStream(true);
        Path output = dir.resolve("quickstart.out");
        pb.redirectOutput(output.toFile());
        Process p = pb.start();
        boolean finished = p.waitFor(240, TimeUnit.SECONDS);
        if (!finished) {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(finished).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("Update successful!", "make_bucket: scratch", "notes.txt", "== done");
        assertThat(dir.resolve("data/ufs/scratch")).as("the new bucket's UFS directory").isDirectory();
        String first = between(out, "== wcadm fs ls /demo/reports/report.bin\n", "== wcadm fs ls /demo/reports/report.bin (after");
        String after = between(out, "(after the upload)\n", "== wcadm async-persist stat");
        String stat = between(out, "== wcadm async-persist stat\n", "== done");
        // Not yet in the object store: queued (NOT_PERSISTED) or an attempt in flight (PERSISTING).
        assertThat(first).contains("/demo/reports/report.bin", "64.0 MiB").containsAnyOf("NOT_PERSISTED", "PERSISTING");
        assertThat(after).contains("/demo/reports/report.bin", " PERSISTED ").doesNotContain("NOT_PERSISTED");
        assertThat(stat).contains("Queued:", "Persisted:", "Bytes pending:");
        // The worker was stopped by the script.
        assertThat(Files.readString(dir.resolve("serve.log"))).contains("event=shutdown_requested");
        TempDirs.delete(dir); // kept when the test fails, for its serve.log
    }

    private static String between(String s, String from, String to) {
        int a = s.indexOf(from);
        assertThat(a).as("'" + from + "' in:\n" + s).isNotNegative();
        int b = s.indexOf(to, a + from.length());
        assertThat(b).as("'" + to + "' in:\n" + s).isNotNegative();
        return s.substring(a + from.length(), b);
    }
}
