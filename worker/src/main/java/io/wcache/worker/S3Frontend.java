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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The S3 endpoint as a worker frontend: an {@link S3Server} over the worker's CacheService,
 * listening on {@code s3.address} and authenticating with {@code s3.auth} and
 * {@code s3.credentials}; CreateBucket and DeleteBucket add and remove mounts when
 * {@code s3.create.bucket.ufs} is set ({@link MountBucketProvisioner}). Closing it stops the server
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
            S3ServerConfig sc = S3ServerConfig.of(authMode(cfg));
            String bucketUfs = cfg.get(ConfigKeys.S3_CREATE_BUCKET_UFS);
            if (!bucketUfs.isBlank()) {
                sc = sc.withBucketProvisioner(new MountBucketProvisioner(worker, bucketUfs.trim(), worker.ioExecutor()));
            }
            sc = tweak.apply(sc);
            HostPort hp = cfg.s3Address();
            S3Server server = new S3Server(worker.cacheService(), sc);
            int port = server.start(new InetSocketAddress(hp.host(), hp.port()));
            return new S3Frontend(server, new InetSocketAddress(hp.host(), port));
        };
    }

    static AuthMode authMode(WcacheConfig cfg) {
        if (cfg.get(ConfigKeys.S3_AUTH) == S3AuthMode.NONE) {
            return new AuthMode.None();
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (S3Credential c : cfg.get(ConfigKeys.S3_CREDENTIALS)) {
            keys.put(c.accessKey(), c.secretKey());
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException("s3.auth is sigv4 but s3.credentials is empty: configure at least one"
                    + " {accessKey, secretKey} or set s3.auth: none for local use");
        }
        return AuthMode.SigV4.of(keys);
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
