package io.wcache.persister.ufs;

import io.wcache.core.error.WcacheException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of an {@code s3://bucket/prefix} UFS, parsed and checked once. Every option has a
 * default; unknown options are refused so a misspelt name fails at mount time, not at the first
 * upload. See the module README for the table of options.
 *
 * @param bucket             the bucket
 * @param prefix             the key prefix of the mount root, empty or ending with {@code /}
 * @param endpoint           the endpoint override, if any (MinIO, s3proxy, a local gateway)
 * @param region             the signing region
 * @param pathStyle          whether to address the bucket in the path rather than the host name
 * @param accessKey          static credentials, or empty for the SDK's default credential chain
 * @param secretKey          the secret matching {@code accessKey}
 * @param multipartThreshold bodies of at least this many bytes use multipart upload
 * @param partSize           the size of each multipart part (the last may be smaller)
 * @param parallelism        how many parts of all uploads of this UFS are in flight at once
 * @param connectTimeout     the bound on opening a connection
 * @param socketTimeout      the bound on waiting for any bytes from the server
 * @param maxAttempts        SDK attempts per request (first try plus retries) before failing Unavailable
 * @param verifyEtag         whether to compare MD5-shaped ETags returned by the server with the MD5 of what was sent
 */
public record S3UfsConfig(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle,
                          Optional<String> accessKey, Optional<String> secretKey, long multipartThreshold,
                          long partSize, int parallelism, Duration connectTimeout, Duration socketTimeout,
                          int maxAttempts, boolean verifyEtag) {

    public static final String ENDPOINT = "endpoint";
    public static final String REGION = "region";
    public static final String PATH_STYLE = "path.style";
    public static final String ACCESS_KEY = "access.key";
    public static final String SECRET_KEY = "secret.key";
    public static final String MULTIPART_THRESHOLD = "multipart.threshold";
    public static final String MULTIPART_PART_SIZE = "multipart.part.size";
    public static final String MULTIPART_PARALLELISM = "multipart.parallelism";
    public static final String CONNECT_TIMEOUT = "connect.timeout";
    public static final String SOCKET_TIMEOUT = "socket.timeout";
    public static final String MAX_ATTEMPTS = "max.attempts";
    public static final String VERIFY_ETAG = "verify.etag";

    /**
     * The prefix a mount option may carry in the configuration file ({@code ufs.s3.endpoint}, as
     * docs/CONFIGURATION.md shows); {@code ufs.s3.endpoint} and {@code endpoint} name the same option.
     */
    public static final String OPTION_PREFIX = "ufs.s3.";

    static final Set<String> KNOWN = Set.of(ENDPOINT, REGION, PATH_STYLE, ACCESS_KEY, SECRET_KEY, MULTIPART_THRESHOLD,
            MULTIPART_PART_SIZE, MULTIPART_PARALLELISM, CONNECT_TIMEOUT, SOCKET_TIMEOUT, MAX_ATTEMPTS, VERIFY_ETAG);

    /** S3's smallest allowed part (all but the last) and largest part. */
    public static final long MIN_PART_SIZE = 5L << 20;
    public static final long MAX_PART_SIZE = 5L << 30;

    public S3UfsConfig {
        if (accessKey.isPresent() != secretKey.isPresent()) {
            throw new WcacheException.InvalidArgument(bucket, "set both access.key and secret.key, or neither");
        }
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new WcacheException.InvalidArgument(MULTIPART_PART_SIZE,
                    "multipart.part.size must be between 5MiB and 5GiB, got " + partSize);
        }
        if (multipartThreshold < 1) {
            throw new WcacheException.InvalidArgument(MULTIPART_THRESHOLD, "multipart.threshold must be positive");
        }
        if (parallelism < 1 || parallelism > 256) {
            throw new WcacheException.InvalidArgument(MULTIPART_PARALLELISM, "multipart.parallelism must be 1..256");
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new WcacheException.InvalidArgument(MAX_ATTEMPTS, "max.attempts must be 1..20");
        }
    }

    /** Parses {@code s3://bucket[/prefix]} and its options. */
    public static S3UfsConfig parse(URI uri, Map<String, String> options) {
        Map<String, String> opts = new HashMap<>();
        if (options != null) {
            for (Map.Entry<String, String> e : options.entrySet()) {
                String name = e.getKey().startsWith(OPTION_PREFIX) ? e.getKey().substring(OPTION_PREFIX.length()) : e.getKey();
                if (opts.put(name, e.getValue()) != null) {
                    throw new WcacheException.InvalidArgument(uri + "", "S3 UFS option '" + name + "' is set twice (as '"
                            + name + "' and '" + OPTION_PREFIX + name + "'); keep one");
                }
            }
        }
        for (String k : opts.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new WcacheException.InvalidArgument(uri + "", "unknown S3 UFS option '" + k + "'; known: " + KNOWN);
            }
        }
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new WcacheException.InvalidArgument(uri.toString(), "an S3 UFS URI names a bucket: s3://bucket/prefix");
        }
        if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null || uri.getPort() != -1) {
            throw new WcacheException.InvalidArgument(uri.toString(), "an S3 UFS URI is s3://bucket[/prefix]; put options in the options map");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String prefix = path.startsWith("/") ? path.substring(1) : path;
        if (!prefix.isEmpty()) {
            String bare = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            UfsKeys.requireValidKey("s3://" + bucket + "/", bare);
            prefix = bare + "/";
        }
        Optional<URI> endpoint = Optional.ofNullable(opts.get(ENDPOINT)).map(e -> parseEndpoint(e));
        boolean pathStyle = parseBoolean(PATH_STYLE, opts.getOrDefault(PATH_STYLE, String.valueOf(endpoint.isPresent())));
        return new S3UfsConfig(bucket, prefix, endpoint, opts.getOrDefault(REGION, "us-east-1"), pathStyle,
                Optional.ofNullable(opts.get(ACCESS_KEY)), Optional.ofNullable(opts.get(SECRET_KEY)),
                parseSize(MULTIPART_THRESHOLD, opts.getOrDefault(MULTIPART_THRESHOLD, "64MiB")),
                parseSize(MULTIPART_PART_SIZE, opts.getOrDefault(MULTIPART_PART_SIZE, "16MiB")),
                (int) parseLong(MULTIPART_PARALLELISM, opts.getOrDefault(MULTIPART_PARALLELISM, "4")),
                parseDuration(CONNECT_TIMEOUT, opts.getOrDefault(CONNECT_TIMEOUT, "5s")),
                parseDuration(SOCKET_TIMEOUT, opts.getOrDefault(SOCKET_TIMEOUT, "30s")),
                (int) parseLong(MAX_ATTEMPTS, opts.getOrDefault(MAX_ATTEMPTS, "3")),
                parseBoolean(VERIFY_ETAG, opts.getOrDefault(VERIFY_ETAG, "true")));
    }

    /** The mount root as a URI: {@code s3://bucket/prefix}. */
    public URI rootUri() {
        return URI.create("s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1)));
    }

    private static URI parseEndpoint(String value) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("expected http(s)://host[:port]");
            }
            return uri;
        } catch (Exception e) {
            throw new WcacheException.InvalidArgument(ENDPOINT, "invalid endpoint '" + value + "': " + e.getMessage());
        }
    }

    private static boolean parseBoolean(String key, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new WcacheException.InvalidArgument(key, key + " must be true or false, got '" + value + "'");
        };
    }

    private static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new WcacheException.InvalidArgument(key, key + " must be an integer, got '" + value + "'");
        }
    }

    /** Sizes are bytes, or a number with B, KiB, MiB, GiB (also KB/MB/GB, read as binary units). */
    static long parseSize(String key, String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        String[][] units = {{"GIB", "1073741824"}, {"MIB", "1048576"}, {"KIB", "1024"},
                {"GB", "1073741824"}, {"MB", "1048576"}, {"KB", "1024"}, {"G", "1073741824"}, {"M", "1048576"},
                {"K", "1024"}, {"B", "1"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                v = v.substring(0, v.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(v), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new WcacheException.InvalidArgument(key, key + " must be a size such as 16MiB, got '" + value + "'");
        }
    }

    /** Durations are {@code 500ms}, {@code 5s}, {@code 2min} or ISO-8601 ({@code PT5S}). */
    static Duration parseDuration(String key, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (v.startsWith("pt")) {
                d = Duration.parse(value.trim());
            } else if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("min")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 3)));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                throw new IllegalArgumentException();
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new WcacheException.InvalidArgument(key, key + " must be a positive duration such as 5s, got '" + value + "'");
        }
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "S3UfsConfig[" + rootUri() + ", endpoint=" + endpoint.map(URI::toString).orElse("aws") + ", region=" + region
                + ", pathStyle=" + pathStyle + ", credentials=" + (accessKey.isPresent() ? "static" : "default-chain")
                + ", multipartThreshold=" + multipartThreshold + ", partSize=" + partSize + ", parallelism=" + parallelism + "]";
    }
}
