package io.wcache.worker.e2e.fuse;

import static io.wcache.worker.e2e.fuse.FuseShell.sh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wcache.persister.testing.TempDirs;
import io.wcache.worker.Frontend;
import io.wcache.worker.FuseFrontend;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One worker serving both an S3 endpoint (no authentication, on an ephemeral port of 127.0.0.1)
 * and a FUSE mount of the same namespace, under a fresh temporary directory; closing it stops the
 * worker, unmounts and deletes the directory.
 */
final class FuseS3Rig implements AutoCloseable {

    final Path root;
    final Path mnt;
    final Worker worker;
    /** {@code http://127.0.0.1:<port>}. */
    final String endpoint;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private FuseS3Rig(Path root, Path mnt, Worker worker, String endpoint) {
        this.root = root;
        this.mnt = mnt;
        this.worker = worker;
        this.endpoint = endpoint;
    }

    static FuseS3Rig start(String name) throws Exception {
        Path root = TempDirs.create(name).toAbsolutePath();
        Path mnt = root.resolve("mnt");
        Files.createDirectories(TestWorkers.ufsDir(root));
        AtomicReference<S3Frontend> s3 = new AtomicReference<>();
        Frontend.Factory s3Factory = w -> {
            S3Frontend fe = (S3Frontend) S3Frontend.fromConfig().start(w);
            s3.set(fe);
            return fe;
        };
        Worker worker = Worker.start(TestWorkers.config(root, "s3.address=127.0.0.1:0", "s3.auth=none"),
                WorkerOptions.defaults().withSegmentSize(16L << 20),
                List.of(s3Factory, FuseFrontend.at(mnt, new SimpleMeterRegistry())));
        return new FuseS3Rig(root, mnt, worker, "http://127.0.0.1:" + s3.get().address().getPort());
    }

    /** An unsigned S3 request ({@code s3.auth=none}) for {@code pathAndQuery} in the {@code /m} mount's bucket. */
    HttpResponse<String> s3(String method, String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + "/m/" + pathAndQuery))
                .timeout(Duration.ofSeconds(60));
        if (headers.length > 0) {
            b.headers(headers);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        try {
            worker.close();
        } finally {
            sh(root, "fusermount -u -z " + mnt + " 2>/dev/null; true");
            TempDirs.delete(root);
        }
    }
}
