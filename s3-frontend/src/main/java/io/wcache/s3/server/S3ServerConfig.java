package io.wcache.s3.server;

import io.wcache.s3.auth.AuthMode;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
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
 */
public record S3ServerConfig(AuthMode auth, Set<String> serviceHosts, Duration idleTimeout, int maxInitialLine,
                             int maxHeaderBytes, BucketProvisioner bucketCreation, Clock clock) {

    public S3ServerConfig {
        Objects.requireNonNull(auth, "auth");
        serviceHosts = Set.copyOf(serviceHosts);
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(bucketCreation, "bucketCreation");
        Objects.requireNonNull(clock, "clock");
    }

    /** Defaults: 60 s idle timeout, 16 KiB request line, 64 KiB of headers, no bucket creation. */
    public static S3ServerConfig of(AuthMode auth) {
        return new S3ServerConfig(auth, Set.of("localhost", "127.0.0.1", "s3.localhost"), Duration.ofSeconds(60),
                16 * 1024, 64 * 1024, BucketProvisioner.REFUSE, Clock.systemUTC());
    }

    public S3ServerConfig withIdleTimeout(Duration d) {
        return new S3ServerConfig(auth, serviceHosts, d, maxInitialLine, maxHeaderBytes, bucketCreation, clock);
    }

    public S3ServerConfig withServiceHosts(Set<String> hosts) {
        return new S3ServerConfig(auth, hosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation, clock);
    }

    public S3ServerConfig withBucketProvisioner(BucketProvisioner p) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, p, clock);
    }

    public S3ServerConfig withClock(Clock c) {
        return new S3ServerConfig(auth, serviceHosts, idleTimeout, maxInitialLine, maxHeaderBytes, bucketCreation, c);
    }
}
