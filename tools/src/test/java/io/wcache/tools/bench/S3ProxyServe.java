package io.wcache.tools.bench;

import io.wcache.persister.testing.EmbeddedS3Server;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the benchmark's s3proxy (filesystem blob store, SigV4, 127.0.0.1) on its own until killed,
 * with bucket {@code probe}: the baseline of {@code tools/probe/run.sh}. Prints its port on the
 * first line. Not a test.
 *
 * <pre>
 * mvn -B -ntp -q -pl tools test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.tools.bench.S3ProxyServe -Dexec.args="DIR"
 * </pre>
 */
public final class S3ProxyServe {

    private S3ProxyServe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "s3proxy-probe"));
        EmbeddedS3Server s3 = EmbeddedS3Server.start(dir);
        s3.createBucket("probe");
        System.out.println("s3proxy port=" + s3.port() + " access=" + EmbeddedS3Server.ACCESS_KEY + " secret="
                + EmbeddedS3Server.SECRET_KEY);
        System.out.flush();
        Thread.currentThread().join();
    }
}
