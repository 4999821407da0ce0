package io.wcache.tools.wcadm;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.persister.testing.TempDirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./wcadm} launcher points wcadm at the token of the worker {@code ./wcache serve}
 * started ({@code <repo>/data/admin.token}, since that launcher runs in the repository root) when
 * nothing else names a token, so the README's commands work from any directory. The launcher runs
 * from a copy of the repository layout with a stand-in {@code java} that prints what it was given.
 */
class WcadmLauncherTest {

    private Path repo;
    private Path bin;
    private Path elsewhere;

    @BeforeEach
    void layout() throws Exception {
        Path dir = TempDirs.create("launcher-");
        repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve("tools/target"));
        Files.createDirectories(repo.resolve("data"));
        Files.writeString(repo.resolve("tools/target/wcadm.jar"), "stand-in");
        Files.copy(Path.of("..", "wcadm"), repo.resolve("wcadm"));
        Files.writeString(repo.resolve("data/admin.token"), "t\n");
        bin = dir.resolve("bin");
        Files.createDirectories(bin);
        Files.writeString(bin.resolve("java"), "#!/usr/bin/env bash\necho \"token_file=${WCADM_TOKEN_FILE:-} args=$*\"\n");
        Files.setPosixFilePermissions(bin.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
        elsewhere = dir.resolve("elsewhere");
        Files.createDirectories(elsewhere);
    }

    @AfterEach
    void clean() {
        TempDirs.delete(repo.getParent());
    }

    private String run(Path cwd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", repo.resolve("wcadm").toString(), "--endpoint", "http://x:1", "info");
        pb.directory(cwd.toFile());
        pb.environment().remove("WCADM_TOKEN");
        pb.environment().remove("WCADM_TOKEN_FILE");
        pb.environment().remove("WCADM_JAVA_OPTS");
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.trim();
    }

    @Test
    void fromAnotherDirectoryTheRepositorysTokenFileIsUsed() throws Exception {
        assertThat(run(elsewhere, Map.of())).isEqualTo("token_file=" + repo.resolve("data/admin.token")
                + " args=-XX:TieredStopAtLevel=1 -Xshare:auto -jar " + repo.resolve("tools/target/wcadm.jar")
                + " --endpoint http://x:1 info");
    }

    @Test
    void aTokenNamedOtherwiseOrADataDirectoryHereWins() throws Exception {
        assertThat(run(elsewhere, Map.of("WCADM_TOKEN", "x"))).startsWith("token_file= ");
        assertThat(run(elsewhere, Map.of("WCADM_TOKEN_FILE", "/other"))).startsWith("token_file=/other ");
        Files.createDirectories(elsewhere.resolve("data"));
        Files.writeString(elsewhere.resolve("data/admin.token"), "here\n");
        // wcadm itself reads ./data/admin.token of the directory it runs in.
        assertThat(run(elsewhere, Map.of())).startsWith("token_file= ");
    }
}
