package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.cache.CacheService;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.digest.Md5;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.server.S3Server;
import io.wcache.s3.server.S3ServerConfig;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * How a large PUT body streams into its write session: its appends run on the connection's event
 * loop, never on the thread that completed the previous append (in the worker, the write
 * pipeline's thread, which also runs every Catalog batch), and the bytes land whole.
 */
class UploadStreamingEndToEndTest {

    private static final String ACCESS = "wcache";
    private static final String SECRET = "wcache-secret";

    @TempDir
    Path root;

    private Worker worker;
    private S3Server server;
    private final ExecutorService completer = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-completer"));
    private final List<String> appendThreads = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        if (worker != null) {
            worker.close();
        }
        completer.shutdownNow();
        assertThat(completer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** The session's appends, recorded, with each append's completion handed to {@code test-completer} a little later. */
    private WriteSession recording(WriteSession real) {
        return (WriteSession) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WriteSession.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("append")) {
                        appendThreads.add(Thread.currentThread().getName());
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        real.append((ByteBuffer) args[0]).whenCompleteAsync((v, e) -> {
                            if (e != null) {
                                done.completeExceptionally(e);
                            } else {
                                done.complete(null);
                            }
                        }, CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS, completer));
                        return done;
                    }
                    return invoke(real, m, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private CacheService recordingCache(CacheService real) {
        return (CacheService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {CacheService.class},
                (proxy, m, args) -> {
                    Object r = invoke(real, m, args);
                    if (m.getName().equals("create") || m.getName().equals("uploadPart")) {
                        return ((CompletableFuture<WriteSession>) r).thenApply(this::recording);
                    }
                    return r;
                });
    }

    @Test
    void appendsOfALargeBodyRunOnTheEventLoopNotOnTheThreadThatCompletedThePreviousOne() {
        worker = TestWorkers.start(root);
        server = new S3Server(recordingCache(worker.cacheService()),
                S3ServerConfig.of(AuthMode.SigV4.of(Map.of(ACCESS, SECRET))).withIdleTimeout(Duration.ofSeconds(3)));
        int port = server.start(new InetSocketAddress("127.0.0.1", 0));
        byte[] body = new byte[9 * 1024 * 1024 + 5];
        new Random(7).nextBytes(body);
        try (S3Client client = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)))
                .build()) {
            // The SDK signs every 128 KiB chunk over plain HTTP: the body arrives in many slices.
            String etag = client.putObject(b -> b.bucket("m").key("big"), RequestBody.fromBytes(body)).eTag();
            assertThat(etag).isEqualTo("\"" + HexFormat.of().formatHex(Md5.newDigest().digest(body)) + "\"");
            assertThat(client.getObjectAsBytes(b -> b.bucket("m").key("big")).asByteArray()).isEqualTo(body);
        }
        assertThat(appendThreads).hasSizeGreaterThan(8)
                .noneMatch(t -> t.equals("test-completer"))
                .allMatch(t -> t.startsWith("nioEventLoopGroup"), "event loop threads");
    }
}
