package io.wcache.properties.cache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The property's handle on a {@link WorkerChild} JVM: one command line out, one reply line back,
 * each bounded in time. {@link #kill()} is SIGKILL ({@code Process.destroyForcibly()}).
 */
final class ChildWorker implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;
    /** The port of the child's S3 endpoint. */
    int s3Port;

    private ChildWorker(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child died
            }
            lines.add(EOF);
        }, "child-worker-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static ChildWorker start(Path root, String endpoint, String accessKey, String secretKey, String bucket,
                             int generation) {
        Path log = root.resolve("child-" + generation + ".log");
        try {
            Files.createDirectories(root);
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                    "-cp", childClassPath(), WorkerChild.class.getName(),
                    root.toString(), endpoint, accessKey, secretKey, bucket)
                    .redirectError(log.toFile())
                    .start();
            ChildWorker w = new ChildWorker(p, log);
            // Anything the child prints before READY (logback's own status lines when it finds more
            // than one configuration on a reactor class path) is not part of the protocol.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String ready = w.next(Duration.ofSeconds(90));
            while (ready != null && !ready.startsWith("READY ") && !ready.equals(EOF) && System.nanoTime() < deadline) {
                ready = w.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
            if (ready == null || !ready.startsWith("READY ")) {
                w.kill();
                throw new AssertionError("worker child did not start (" + ready + "); log tail: " + w.logTail());
            }
            w.s3Port = Integer.parseInt(ready.substring(6).trim());
            return w;
        } catch (IOException e) {
            throw new AssertionError("cannot start the worker child", e);
        }
    }

    private static String classPath;

    /**
     * The child's class path: this JVM's, with the project's own jars copied once per run, so a
     * sibling module re-installed into the local repository while the property runs cannot
     * change (or truncate) classes under a child that loads them lazily.
     */
    private static synchronized String childClassPath() throws IOException {
        if (classPath == null) {
            Path copies = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "child-classpath");
            java.util.List<String> out = new java.util.ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (entry.contains("/io/wcache/") && entry.endsWith(".jar") && Files.isRegularFile(p)) {
                    Path copy = copies.resolve((i++) + "-" + p.getFileName());
                    Files.copy(p, copy);
                    out.add(copy.toString());
                } else {
                    out.add(entry);
                }
            }
            classPath = String.join(java.io.File.pathSeparator, out);
        }
        return classPath;
    }

    /** Sends one command and waits for its reply. */
    String send(String command, Duration limit) {
        try {
            stdin.write(command + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new AssertionError("worker child is gone; log tail: " + logTail(), e);
        }
        String reply = next(limit);
        if (reply == null) {
            throw new AssertionError("no reply to '" + command + "' within " + limit + " (hang); log tail: " + logTail());
        }
        if (reply.equals(EOF)) {
            throw new AssertionError("worker child died during '" + command + "'; log tail: " + logTail());
        }
        return reply;
    }

    private String next(Duration limit) {
        try {
            return lines.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** SIGKILL, then wait for the process to be gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("killed worker child did not exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String logTail() {
        try {
            String s = Files.readString(log);
            return s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** A clean stop: end of input lets the child close its worker; killed if it takes too long. */
    @Override
    public void close() {
        try {
            stdin.close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (IOException | InterruptedException e) {
            kill();
        }
    }
}
