package io.wcache.persister.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.gaul.s3proxy.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server for tests: s3proxy over jclouds' {@code filesystem} blob store, listening on
 * 127.0.0.1 with SigV2/SigV4 authentication. It can be stopped and started again on the same port
 * over the same directory, which is how tests simulate a UFS outage. Other modules use it through
 * this module's test-jar.
 *
 * <pre>{@code
 * try (EmbeddedS3Server s3 = EmbeddedS3Server.start(tempDir)) {
 *     s3.createBucket("ufs");
 *     UnderFileSystem ufs = UnderFileSystem.open(URI.create("s3://ufs/prefix"), s3.ufsOptions());
 * }
 * }</pre>
 */
public final class EmbeddedS3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "wcache-test";
    public static final String SECRET_KEY = "wcache-test-secret";

    private final Path baseDir;
    private final UnaryOperator<BlobStore> faults;
    private int port;
    private S3Proxy proxy;
    private BlobStoreContext context;

    private EmbeddedS3Server(Path baseDir, UnaryOperator<BlobStore> faults) {
        this.baseDir = baseDir;
        this.faults = faults;
    }

    /** Starts a server on an ephemeral port storing its buckets as directories under {@code baseDir}. */
    public static EmbeddedS3Server start(Path baseDir) throws Exception {
        return start(baseDir, UnaryOperator.identity());
    }

    /**
     * Starts a server whose blob store is wrapped by {@code faults}, e.g. a jclouds
     * {@code ForwardingBlobStore} that injects a failure around the real filesystem store.
     */
    public static EmbeddedS3Server start(Path baseDir, UnaryOperator<BlobStore> faults) throws Exception {
        Files.createDirectories(baseDir);
        EmbeddedS3Server server = new EmbeddedS3Server(baseDir, faults);
        server.startOn(0);
        return server;
    }

    /** Starts the server again on its previous port over the same directory (after {@link #stop()}). */
    public synchronized void restart() throws Exception {
        if (proxy != null) {
            throw new IllegalStateException("server is running");
        }
        // The port was just released; a few quick retries cover a slow socket close.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (true) {
            try {
                startOn(port);
                return;
            } catch (IOException e) {
                stopQuietly();
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private synchronized void startOn(int requestedPort) throws Exception {
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
        context = ContextBuilder.newBuilder("filesystem")
                .credentials(ACCESS_KEY, SECRET_KEY)
                .overrides(props)
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder()
                .blobStore(faults.apply(context.getBlobStore()))
                .endpoint(URI.create("http://127.0.0.1:" + requestedPort))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .jettyMaxThreads(24)
                .build();
        proxy.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!"STARTED".equals(proxy.getState())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        port = proxy.getPort();
    }

    /** Stops the server; the stored objects stay in the directory. */
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
        if (context != null) {
            context.close();
            context = null;
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (Exception ignored) {
            // best effort while retrying a start
        }
    }

    /** Creates a bucket (idempotent). */
    public void createBucket(String bucket) {
        blobStore().createContainerInLocation(null, bucket);
    }

    /** The jclouds view of the stored data, for assertions that bypass S3. */
    public synchronized BlobStore blobStore() {
        if (context == null) {
            throw new IllegalStateException("server is stopped");
        }
        return context.getBlobStore();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public Path baseDir() {
        return baseDir;
    }

    /** Options for {@code UnderFileSystem.open(URI.create("s3://bucket/prefix"), options)} pointing here. */
    public Map<String, String> ufsOptions() {
        Map<String, String> options = new HashMap<>();
        options.put("endpoint", endpoint().toString());
        options.put("access.key", ACCESS_KEY);
        options.put("secret.key", SECRET_KEY);
        options.put("region", "us-east-1");
        return options;
    }

    /**
     * One entry of a worker's {@code mounts} setting: {@code path} mounted on
     * {@code s3://bucketAndPrefix} of this server.
     */
    public String mountEntry(String path, String bucketAndPrefix) {
        return "{path: " + path + ", ufs: 's3://" + bucketAndPrefix + "', options: {endpoint: '" + endpoint()
                + "', access.key: " + ACCESS_KEY + ", secret.key: " + SECRET_KEY + ", region: us-east-1}}";
    }

    /** An SDK client of this server (path-style, its credentials), with up to {@code maxConnections} connections. */
    public S3Client client(int maxConnections) {
        return S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(maxConnections)).build();
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
