package io.wcache.worker;

import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.HostPort;
import io.wcache.core.config.S3AuthMode;
import io.wcache.core.config.S3Credential;
import io.wcache.core.config.WcacheConfig;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.server.S3Server;
import io.wcache.s3.server.S3ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The S3 endpoint as a worker frontend: an {@link S3Server} over the worker's CacheService,
 * listening on {@code s3.address} and authenticating with {@code s3.auth} and
 * {@code s3.credentials}; CreateBucket and DeleteBucket add and remove mounts when
 * {@code s3.create.bucket.ufs} is set ({@link MountBucketProvisioner}). It serves HTTPS when
 * {@code s3.tls.cert} and {@code s3.tls.key} are set, and refuses to start on a non-loopback
 * address without real credentials ({@link #checkExposure}). Closing it stops the server
 * (unfinished uploads are aborted).
 */
public final class S3Frontend implements Frontend {

    private final S3Server server;
    private final InetSocketAddress address;

    private S3Frontend(S3Server server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** A factory configured from the worker's config. */
    public static Frontend.Factory fromConfig() {
        return customized(UnaryOperator.identity());
    }

    /** A factory whose server config is adjusted by {@code tweak} (tests: idle timeout, clock). */
    public static Frontend.Factory customized(UnaryOperator<S3ServerConfig> tweak) {
        return worker -> {
            WcacheConfig cfg = worker.config();
            checkExposure(cfg);
            S3ServerConfig sc = S3ServerConfig.of(authMode(cfg))
                    .withRequestHeaderTimeout(cfg.get(ConfigKeys.S3_REQUEST_HEADER_TIMEOUT))
                    .withMaxConnections(cfg.get(ConfigKeys.S3_MAX_CONNECTIONS))
                    .withTls(tlsFiles(cfg));
            String bucketUfs = cfg.get(ConfigKeys.S3_CREATE_BUCKET_UFS);
            if (!bucketUfs.isBlank()) {
                sc = sc.withBucketProvisioner(new MountBucketProvisioner(worker, bucketUfs.trim(), worker.ioExecutor()));
            }
            sc = tweak.apply(sc);
            HostPort hp = cfg.s3Address();
            S3Server server = new S3Server(worker.frontendService(), sc);
            int port = server.start(new InetSocketAddress(hp.host(), hp.port()));
            return new S3Frontend(server, new InetSocketAddress(hp.host(), port));
        };
    }

    /**
     * The secret of the demo key in the shipped config ({@code io/wcache/core/config/wcache.yaml}):
     * public, so it may only guard a loopback endpoint.
     */
    static final String DEMO_SECRET = "wcache-secret";

    /**
     * Secure by default off loopback: an S3 endpoint others can reach must check signatures, with
     * keys that are not the published demo key.
     *
     * @throws IllegalStateException saying what to set
     */
    static void checkExposure(WcacheConfig cfg) {
        HostPort hp = cfg.s3Address();
        if (isLoopback(hp.host())) {
            return;
        }
        if (cfg.get(ConfigKeys.S3_AUTH) == S3AuthMode.NONE) {
            throw new IllegalStateException("s3.address " + hp + " is not a loopback address and s3.auth is none:"
                    + " anyone who reaches it could read and change every bucket. Set s3.auth: sigv4 with your own"
                    + " s3.credentials, or bind s3.address to 127.0.0.1");
        }
        for (S3Credential c : cfg.get(ConfigKeys.S3_CREDENTIALS)) {
            if (c.secretKey().equals(DEMO_SECRET)) {
                throw new IllegalStateException("s3.address " + hp + " is not a loopback address and s3.credentials"
                        + " holds the shipped demo key (access key " + c.accessKey() + "), whose secret is public."
                        + " Replace it with your own {accessKey, secretKey} (a random secret, e.g. openssl rand"
                        + " -base64 30), or bind s3.address to 127.0.0.1");
            }
        }
    }

    /** Whether {@code host} names only loopback addresses (a wildcard such as 0.0.0.0 does not). */
    static boolean isLoopback(String host) {
        try {
            java.net.InetAddress[] all = java.net.InetAddress.getAllByName(host);
            for (java.net.InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** {@code s3.tls.cert} and {@code s3.tls.key}: both or neither. */
    static Optional<S3ServerConfig.TlsFiles> tlsFiles(WcacheConfig cfg) {
        String cert = cfg.get(ConfigKeys.S3_TLS_CERT);
        String key = cfg.get(ConfigKeys.S3_TLS_KEY);
        if (cert.isEmpty() && key.isEmpty()) {
            return Optional.empty();
        }
        if (cert.isEmpty() || key.isEmpty()) {
            throw new IllegalStateException("s3.tls.cert and s3.tls.key go together: set both (PEM files) to serve"
                    + " HTTPS, or neither for plain HTTP");
        }
        return Optional.of(new S3ServerConfig.TlsFiles(Path.of(cert), Path.of(key)));
    }

    static AuthMode authMode(WcacheConfig cfg) {
        if (cfg.get(ConfigKeys.S3_AUTH) == S3AuthMode.NONE) {
            return new AuthMode.None();
        }
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, io.wcache.s3.auth.S3User> users = new LinkedHashMap<>();
        Map<String, io.wcache.s3.auth.S3User> byId = new LinkedHashMap<>();
        for (S3Credential c : cfg.get(ConfigKeys.S3_CREDENTIALS)) {
            keys.put(c.accessKey(), c.secretKey());
            // Keys of one user id are one user (the first key's display name and e-mail).
            users.put(c.accessKey(), byId.computeIfAbsent(c.userId(),
                    id -> new io.wcache.s3.auth.S3User(id, c.displayName(), c.email())));
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException("s3.auth is sigv4 but s3.credentials is empty: configure at least one"
                    + " {accessKey, secretKey} or set s3.auth: none for local use");
        }
        return AuthMode.SigV4.of(keys).withUsers(users);
    }

    public S3Server server() {
        return server;
    }

    /** The bound address (the configured port, or the one chosen for port 0). */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String describe() {
        return "frontend=s3 address=" + address.getHostString() + ":" + address.getPort();
    }

    @Override
    public void close() {
        server.stop();
    }
}
