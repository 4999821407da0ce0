package io.wcache.s3.server;

import io.wcache.s3.auth.AuthMode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How an {@link S3Server} authenticates and guards its connections: the auth mode (keys or
 * {@code none}), the host names that address buckets virtual-host style, the idle timeout after
 * which a silent or stalled connection is closed (its unfinished write aborted), and the HTTP
 * head limits that turn an oversized request head into {@code 400} or a closed connection.
 *
 * @param auth             SigV4 keys, or {@code none} for local development
 * @param serviceHosts     host names under which {@code bucket.host} is virtual-host addressing
 * @param idleTimeout      a connection with neither reads nor writes for this long is closed
 * @param maxInitialLine   longest request line in bytes
 * @param maxHeaderBytes   largest header block in bytes
 * @param bucketCreation   whether CreateBucket/DeleteBucket may add or remove mounts
 * @param clock            for signature dates
 * @param requestHeaderTimeout longest time to send a request head; the connection is closed after it
 * @param maxConnections   most open connections; one more is answered {@code 503 SlowDown} and closed
 * @param tls              certificate and key to serve HTTPS with; empty serves plain HTTP
 */
public record S3ServerConfig(AuthMode auth, Set<String> serviceHosts, Duration idleTimeout, int maxInitialLine,
                             int maxHeaderBytes, BucketProvisioner bucketCreation, Clock clock,
                             Duration requestHeaderTimeout, int maxConnections, Optional<TlsFiles> tls) {

    /** PEM files of a TLS endpoint: the certificate chain and its unencrypted PKCS#8 private key. */
    public record TlsFiles(Path certificateChain, Path privateKey) {
        public TlsFiles {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }

    public S3ServerConfig {
        Objects.requireNonNull(auth, "auth");
        serviceHosts = Set.copyOf(serviceHosts);
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(bucketCreation, "bucketCreation");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(requestHeaderTimeout, "requestHeaderTimeout");
        if (requestHeaderTimeout.isNegative() || requestHeaderTimeout.isZero()) {
            throw new IllegalArgumentException("requestHeaderTimeout must be positive: " + requestHeaderTimeout);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        Objects.requireNonNull(tls, "tls");
    }

    /**
     * Defaults: 60 s idle timeout, 16 KiB request line, 64 KiB of headers, no bucket creation, 30 s
     * to send a request head, 1024 connections, plain HTTP.
     */
    public static S3ServerConfig of(AuthMode auth) {
        return new S3ServerConfig(auth, Set.of("localhost", "127.0.0.1", "s3.localhost"), Duration.ofSeconds(60),
                16 * 1024, 64 * 1024, BucketProvisioner.REFUSE, Clock.systemUTC(), Duration.ofSeconds(30), 1024,
                Optional.empty());
    }

    public S3ServerConfig withRequestHeaderTimeout(Duration d) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation,
                clock, d, maxConnections, tls);
    }

    public S3ServerConfig withMaxConnections(int n) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation,
                clock, requestHeaderTimeout, n, tls);
    }

    public S3ServerConfig withTls(Optional<TlsFiles> files) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation,
                clock, requestHeaderTimeout, maxConnections, files);
    }

    public S3ServerConfig withIdleTimeout(Duration d) {
        return new S3ServerConfig(auth, serviceHosts, d, maxInitialLine, maxHeaderBytes, bucketCreation, clock,
                requestHeaderTimeout, maxConnections, tls);
    }

    public S3ServerConfig withServiceHosts(Set<String> hosts) {
        return new S3ServerConfig(auth, hosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation, clock,
                requestHeaderTimeout, maxConnections, tls);
    }

    public S3ServerConfig withBucketProvisioner(BucketProvisioner p) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, p, clock,
                requestHeaderTimeout, maxConnections, tls);
    }

    public S3ServerConfig withClock(Clock c) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation, c,
                requestHeaderTimeout, maxConnections, tls);
    }
}
