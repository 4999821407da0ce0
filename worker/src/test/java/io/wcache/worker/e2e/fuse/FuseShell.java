package io.wcache.worker.e2e.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Shell and python commands for the FUSE end-to-end tests, each under a hard time limit. */
public final class FuseShell {

    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit=" + exit + " out=" + out.strip() + " err=" + err.strip();
        }
    }

    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private FuseShell() {
    }

    public static Result sh(Path cwd, String script) {
        return sh(cwd, script, 120);
    }

    public static Result sh(Path cwd, String script, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("sh-out", ".txt");
            Path err = Files.createTempFile("sh-err", ".txt");
            Process p = new ProcessBuilder("timeout", "-k", "5", String.valueOf(timeoutSeconds), "bash", "-c", script)
                    .directory(cwd.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds + 10L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("command timed out: " + script);
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run: " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + script, e);
        }
    }

    public static Result python(Path cwd, String program) {
        return sh(cwd, PYTHON + " - <<'PYEOF'\n" + program + "\nPYEOF\n");
    }
}
