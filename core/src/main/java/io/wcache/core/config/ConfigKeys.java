package io.wcache.core.config;

import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every configuration key wcache reads, declared once with its type, default and
 * documentation. A key that is not declared here is refused when a config is loaded, so a
 * typo cannot be silently ignored. {@link #markdownTable()} renders the reference table that
 * {@code docs/CONFIGURATION.md} must contain.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /** The top-level YAML key holding the mount list; it is not a scalar key. */
    public static final String MOUNTS = "mounts";

    public static final ConfigKey<String> DATA_DIR = new ConfigKey<>("data.dir", ConfigType.STRING, "./data",
            "Base directory; the defaults of metadata.engine and cache.dirs live under it.");
    public static final ConfigKey<String> METADATA_ENGINE = new ConfigKey<>("metadata.engine", ConfigType.ENGINE_SPEC,
            "embedded:${data.dir}/meta",
            "Metadata store: `embedded:<dir>` (in-process, one JVM) or `fdb:<cluster-file>` (FoundationDB).");
    public static final ConfigKey<List<String>> CACHE_DIRS = new ConfigKey<>("cache.dirs", ConfigType.STRING_LIST,
            "[${data.dir}/cache]", "Directories holding the segment logs of the local cache (one per NVMe device).");
    public static final ConfigKey<Long> CACHE_CAPACITY = new ConfigKey<>("cache.capacity", ConfigType.SIZE, "20GiB",
            "Total bytes the cache may use across cache.dirs.");
    public static final ConfigKey<HostPort> S3_ADDRESS = new ConfigKey<>("s3.address", ConfigType.ADDRESS,
            "127.0.0.1:9000", "Listen address of the S3 endpoint.");
    public static final ConfigKey<S3AuthMode> S3_AUTH = new ConfigKey<>("s3.auth", ConfigType.S3_AUTH, "sigv4",
            "`sigv4` checks request signatures against s3.credentials; `none` accepts any (local use only).");
    public static final ConfigKey<List<S3Credential>> S3_CREDENTIALS = new ConfigKey<>("s3.credentials",
            ConfigType.CREDENTIALS, "[]", "Access keys accepted by SigV4: a list of {accessKey, secretKey}, each optionally "
                    + "with the S3 user it signs for (userId: canonical id, displayName, email; keys of one userId are one user). A key "
                    + "without userId signs for the default owner `wcache`, which owns every bucket and object without an owner of its "
                    + "own; users own the buckets they create and see others' only as their ACLs grant (docs/SECURITY.md).");
    public static final ConfigKey<String> S3_CREATE_BUCKET_UFS = new ConfigKey<>("s3.create.bucket.ufs",
            ConfigType.OPTIONAL_STRING, "",
            "UFS URI template for buckets made with S3 CreateBucket, `{bucket}` standing for the name and "
                    + "`${data.dir}` for the data directory (e.g. `file:${data.dir}/ufs/{bucket}`, `s3://store/{bucket}`): the bucket becomes a mount, DeleteBucket "
                    + "removes it when empty. Unset: both are refused and mounts are managed with `wcadm mount`.");
    public static final ConfigKey<Duration> S3_REQUEST_HEADER_TIMEOUT = new ConfigKey<>("s3.request.header.timeout",
            ConfigType.DURATION, "30s",
            "Longest time a client may take to send a request head (from the connection's start, or from the first "
                    + "byte of a later request); the connection is closed when it runs out (slowloris).");
    public static final ConfigKey<Integer> S3_MAX_CONNECTIONS = new ConfigKey<>("s3.max.connections",
            ConfigType.POSITIVE_INT, "1024",
            "Most open S3 connections; a connection beyond it is answered 503 SlowDown and closed.");
    public static final ConfigKey<String> S3_TLS_CERT = new ConfigKey<>("s3.tls.cert", ConfigType.OPTIONAL_STRING, "",
            "PEM certificate chain of the S3 endpoint; with s3.tls.key the S3 port serves HTTPS only. Unset: plain HTTP.");
    public static final ConfigKey<String> S3_TLS_KEY = new ConfigKey<>("s3.tls.key", ConfigType.OPTIONAL_STRING, "",
            "PEM private key (PKCS#8, unencrypted) of s3.tls.cert.");
    public static final ConfigKey<HostPort> ADMIN_ADDRESS = new ConfigKey<>("admin.address", ConfigType.ADDRESS,
            "127.0.0.1:9001", "Listen address of the admin REST API and /metrics.");
    public static final ConfigKey<AdminAuthMode> ADMIN_AUTH = new ConfigKey<>("admin.auth", ConfigType.ADMIN_AUTH, "token",
            "`token`: every admin route but /metrics and /health needs `Authorization: Bearer <token>`; `none`: no "
                    + "token (local experiments only: warned at start, refused unless admin.address is loopback).");
    public static final ConfigKey<String> ADMIN_TOKEN = new ConfigKey<>("admin.token", ConfigType.SECRET, "",
            "The admin bearer token. Empty: the worker uses `${data.dir}/admin.token`, generating a random one "
                    + "(mode 0600) at first start, which `wcadm` finds by itself. The WCACHE_ADMIN_TOKEN "
                    + "environment variable, when set, takes precedence.");
    public static final ConfigKey<String> ADMIN_ALLOWED_HOSTS = new ConfigKey<>("admin.allowed.hosts",
            ConfigType.OPTIONAL_STRING, "",
            "Comma-separated extra names the admin API answers to in the `Host` header, besides loopback names, "
                    + "admin.address's host and (on a wildcard address) the machine's own names and addresses; "
                    + "`*` turns the check off (behind a proxy that checks it). Defends against DNS rebinding.");
    public static final ConfigKey<String> ADMIN_TLS_CERT = new ConfigKey<>("admin.tls.cert", ConfigType.OPTIONAL_STRING,
            "", "PEM certificate chain: with admin.tls.key, the admin API is served over HTTPS only.");
    public static final ConfigKey<String> ADMIN_TLS_KEY = new ConfigKey<>("admin.tls.key", ConfigType.OPTIONAL_STRING,
            "", "PEM private key (PKCS#8 `BEGIN PRIVATE KEY`, or RSA `BEGIN RSA PRIVATE KEY`) of admin.tls.cert.");
    public static final ConfigKey<Duration> ADMIN_REQUEST_TIMEOUT = new ConfigKey<>("admin.request.timeout",
            ConfigType.DURATION, "30s",
            "Time a client has to send a whole admin request (head and body); a slower connection is closed, so "
                    + "slow clients cannot hold the admin threads. Read once per process, when the admin API starts.");
    public static final ConfigKey<Boolean> WRITE_CACHE_ENABLED = new ConfigKey<>("write.cache.enabled",
            ConfigType.BOOLEAN, "true",
            "When false the system is a read cache: WRITE_BACK and TRANSIENT writes become WRITE_THROUGH.");
    public static final ConfigKey<WritePolicy> PATH_DEFAULT_POLICY = new ConfigKey<>("path.default.policy",
            ConfigType.WRITE_POLICY, "WRITE_THROUGH",
            "Write policy of paths no path-config rule matches (the shipped config sets WRITE_BACK).");
    public static final ConfigKey<Integer> PATH_DEFAULT_WRITE_REPLICAS = new ConfigKey<>("path.default.write.replicas",
            ConfigType.POSITIVE_INT, "1", "Copies of unpersisted data (WRITE_BACK, TRANSIENT) for paths no path-config "
                    + "rule matches, each on its own worker: a write is acknowledged once that many workers have it "
                    + "durable, and refused (503) while fewer are live. `wcache serve --replicas N` sets it.");
    public static final ConfigKey<Duration> ORPHAN_TIMEOUT = new ConfigKey<>("write.cache.async.check.orphan.timeout",
            ConfigType.DURATION, "1h", "A write session older than this, or a multipart upload with no part for this long, is an orphan; "
                    + "the sweep aborts it. A completed upload is remembered as long, for retried completions.");
    public static final ConfigKey<Duration> FILE_CHECK_PERIOD = new ConfigKey<>("write.cache.async.file.check.period",
            ConfigType.DURATION, "10min", "How often the dangling/orphan session sweep runs.");
    public static final ConfigKey<Double> PINNED_CAPACITY_RATIO = new ConfigKey<>(
            "worker.page.store.pinned.file.capacity.limit.ratio", ConfigType.RATIO, "0.3",
            "Share of cache.capacity that pinned (unpersisted WRITE_BACK and TRANSIENT) data may use.");
    public static final ConfigKey<Duration> MARK_WRITING_DURATION = new ConfigKey<>("worker.mark.writing.files.duration",
            ConfigType.DURATION, "10min", "A write session idle longer than this is dangling; the sweep aborts it.");
    public static final ConfigKey<Duration> PERSIST_RETRY_INITIAL = new ConfigKey<>(
            "worker.write.cache.async.persist.retry.initial.interval", ConfigType.DURATION, "1s",
            "First retry delay of a failed upload; doubles (with jitter) per attempt.");
    public static final ConfigKey<Duration> PERSIST_RETRY_MAX = new ConfigKey<>(
            "worker.write.cache.async.persist.retry.max.interval", ConfigType.DURATION, "1min",
            "Upper bound of the upload retry delay: after an object store outage, uploads resume within it.");
    public static final ConfigKey<Integer> PERSIST_THREADS = new ConfigKey<>("write.cache.async.persist.thread.pool.size",
            ConfigType.POSITIVE_INT, "16",
            "Uploads in flight at once; S3 uploads are latency-bound, so more than the core count.");
    public static final ConfigKey<Duration> PERSIST_MARK_LINGER = new ConfigKey<>(
            "write.cache.async.persist.mark.linger", ConfigType.DURATION, "5ms",
            "How long a finished upload waits for others to share the Catalog transaction that marks them persisted (0: none).");
    public static final ConfigKey<Boolean> PERSIST_IDLE_PRIORITY = new ConfigKey<>(
            "write.cache.async.persist.idle.priority", ConfigType.BOOLEAN, "true",
            "Run an upload's transfer to the object store in Linux's SCHED_IDLE class, so any request's thread "
                    + "preempts it at once (needs root or CAP_SYS_NICE, else a warning); false leaves uploads at the lowest "
                    + "Java priority (nice 10 when run as root).");
    public static final ConfigKey<Duration> PERSIST_DEFER_MAX = new ConfigKey<>(
            "write.cache.async.persist.defer.max", ConfigType.DURATION, "10s",
            "Longest a WRITE_BACK upload waits while writes keep arriving: a burst of writes gets the cores and the "
                    + "disk to itself, and its uploads start once writes pause for write.cache.async.persist.defer.quiet, "
                    + "once this long has passed, or once the waiting uploads hold write.cache.async.persist.defer.bytes "
                    + "(0: every upload starts at once).");
    public static final ConfigKey<Duration> PERSIST_DEFER_QUIET = new ConfigKey<>(
            "write.cache.async.persist.defer.quiet", ConfigType.DURATION, "50ms",
            "A pause in writes this long starts the uploads that wait for one (write.cache.async.persist.defer.max).");
    public static final ConfigKey<Long> PERSIST_DEFER_BYTES = new ConfigKey<>(
            "write.cache.async.persist.defer.bytes", ConfigType.SIZE, "1GiB",
            "Most bytes of uploads waiting for a pause in writes; further uploads start at once. At most a quarter of "
                    + "the pinned space is used, whatever this says.");
    public static final ConfigKey<Long> SYNC_COPY_MAX = new ConfigKey<>(
            "write.cache.sync.copy.max", ConfigType.SIZE, "64KiB",
            "A write whose body fits this size (sent in one piece) is acknowledged after one sync: its Catalog commit "
                    + "carries a copy of the body, and the cache log syncs its records in the background within "
                    + "20ms; after a power loss recovery writes them again from the copy. 0: every write also waits "
                    + "for the log's own sync. At most 90000 bytes.");
    public static final ConfigKey<Boolean> FUSE_SILLY_RENAME = new ConfigKey<>("fuse.silly.rename.interceptor.enabled",
            ConfigType.BOOLEAN, "false",
            "Handle the kernel's .fuse_hidden* rename on rm of an open file without touching the UFS.");
    public static final ConfigKey<Duration> FUSE_CACHE_TIMEOUT = new ConfigKey<>("fuse.cache.timeout",
            ConfigType.DURATION, "1s",
            "How long the kernel may cache FUSE attributes and entries: a change committed elsewhere (S3, another "
                    + "mount) becomes visible through the mount within this time.");
    public static final ConfigKey<String> FUSE_LIBRARY = new ConfigKey<>("fuse.library", ConfigType.FUSE_LIBRARY,
            "auto", "Which libfuse serves the mount: `fuse3` (write requests of up to 1 MiB), `fuse2` (jnr-fuse; "
                    + "128 KiB), or `auto`: libfuse 3.12 or later when it can be loaded, else libfuse 2.");

    public static final ConfigKey<Duration> CLUSTER_LEASE_DURATION = new ConfigKey<>("cluster.lease.duration",
            ConfigType.DURATION, "10s",
            "How long a worker's membership lease lasts unless renewed: a worker that has not renewed it for this "
                    + "long is dead for every other worker (its paths go to the others, or answer 503 until it returns).");
    public static final ConfigKey<HostPort> CLUSTER_INTERNAL_ADDRESS = new ConfigKey<>("cluster.internal.address",
            ConfigType.ADDRESS, "127.0.0.1:0",
            "Listen address of the internal transport, over which the workers of a cluster forward requests to "
                    + "each other; port 0 picks a free port, registered in the membership. Other workers must reach it.");
    public static final ConfigKey<Duration> CLUSTER_HEARTBEAT_INTERVAL = new ConfigKey<>("cluster.heartbeat.interval",
            ConfigType.DURATION, "2s",
            "How often a worker renews its membership lease; must be well under cluster.lease.duration.");

    /** All keys, in the order of the reference table. */
    public static final List<ConfigKey<?>> ALL = List.of(DATA_DIR, METADATA_ENGINE, CACHE_DIRS, CACHE_CAPACITY,
            S3_ADDRESS, S3_AUTH, S3_CREDENTIALS, S3_CREATE_BUCKET_UFS, S3_REQUEST_HEADER_TIMEOUT,
            S3_MAX_CONNECTIONS, S3_TLS_CERT, S3_TLS_KEY, ADMIN_ADDRESS, ADMIN_AUTH, ADMIN_TOKEN,
            ADMIN_ALLOWED_HOSTS, ADMIN_TLS_CERT, ADMIN_TLS_KEY, ADMIN_REQUEST_TIMEOUT, WRITE_CACHE_ENABLED,
            PATH_DEFAULT_POLICY,
            PATH_DEFAULT_WRITE_REPLICAS, ORPHAN_TIMEOUT, FILE_CHECK_PERIOD, PINNED_CAPACITY_RATIO,
            MARK_WRITING_DURATION, PERSIST_RETRY_INITIAL, PERSIST_RETRY_MAX, PERSIST_THREADS, PERSIST_MARK_LINGER,
            PERSIST_IDLE_PRIORITY, PERSIST_DEFER_MAX, PERSIST_DEFER_QUIET, PERSIST_DEFER_BYTES, SYNC_COPY_MAX, FUSE_SILLY_RENAME,
            FUSE_CACHE_TIMEOUT, FUSE_LIBRARY, CLUSTER_LEASE_DURATION, CLUSTER_HEARTBEAT_INTERVAL,
            CLUSTER_INTERNAL_ADDRESS);

    private static final Map<String, ConfigKey<?>> BY_NAME;

    static {
        Map<String, ConfigKey<?>> m = new LinkedHashMap<>();
        for (ConfigKey<?> k : ALL) {
            if (m.put(k.name(), k) != null) {
                throw new ExceptionInInitializerError("config key declared twice: " + k.name());
            }
        }
        BY_NAME = m;
    }

    public static Optional<ConfigKey<?>> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The declared key closest to a misspelt one, for "did you mean" hints. */
    static Optional<String> closest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : BY_NAME.keySet()) {
            int d = editDistance(name, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 5) ? Optional.ofNullable(best) : Optional.empty();
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The configuration reference as a Markdown table (key, type, default, meaning). */
    /** A table cell's text: a bare {@code |} would end the cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| key | type | default | meaning |\n");
        sb.append("| --- | --- | --- | --- |\n");
        for (ConfigKey<?> k : ALL) {
            sb.append("| `").append(k.name()).append("` | ").append(cell(k.type().name())).append(" | `")
                    .append(cell(k.defaultText())).append("` | ").append(cell(k.doc())).append(" |\n");
        }
        return sb.toString();
    }

    /** Prints {@link #markdownTable()}, to regenerate the reference in {@code docs/CONFIGURATION.md}. */
    public static void main(String[] args) {
        System.out.print(markdownTable());
    }
}
