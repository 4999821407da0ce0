package io.wcache.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.wcache.core.error.WcacheException;
import io.wcache.core.policy.WritePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The type of a configuration value: how a YAML node (or a {@code --set} string) becomes a
 * typed value, and how that value is printed back. Every parse error is a
 * {@link WcacheException.InvalidArgument} whose subject is the key and whose message names the
 * key and the bad value.
 */
public final class ConfigType<T> {

    private final String name;
    private final BiFunction<String, JsonNode, T> parser;
    private final Function<T, String> formatter;

    private ConfigType(String name, BiFunction<String, JsonNode, T> parser, Function<T, String> formatter) {
        this.name = name;
        this.parser = parser;
        this.formatter = formatter;
    }

    /** The type's name as shown in the configuration reference. */
    public String name() {
        return name;
    }

    public T parse(String key, JsonNode node) {
        return parser.apply(key, node);
    }

    public String format(T value) {
        return formatter.apply(value);
    }

    /** Whether a {@code --set} value should be read as YAML (lists) rather than as one scalar. */
    boolean structured() {
        return name.startsWith("list");
    }

    static String scalar(String key, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            throw new WcacheException.InvalidArgument(key, "config key '" + key + "' has no value");
        }
        if (!node.isValueNode()) {
            throw new WcacheException.InvalidArgument(key, "config key '" + key + "': expected a single value, got '"
                    + node + "'");
        }
        return node.asText();
    }

    public static final ConfigType<String> STRING = new ConfigType<>("string", (k, n) -> {
        String s = scalar(k, n);
        if (s.isBlank()) {
            throw new WcacheException.InvalidArgument(k, "config key '" + k + "': value is empty");
        }
        return s;
    }, s -> s);

    /** A string that may be left empty, meaning "not set" (a secret such as a token). */
    public static final ConfigType<String> OPTIONAL_STRING = new ConfigType<>("string, may be empty", (k, n) ->
            n == null || n.isNull() || n.isMissingNode() ? "" : scalar(k, n).trim(), s -> s);

    /**
     * A secret that may be left empty (a token): parsed like {@link #OPTIONAL_STRING}, but printed
     * as {@code ***} when set, so effective-value listings and logs never show it.
     */
    public static final ConfigType<String> SECRET = new ConfigType<>("secret, may be empty", (k, n) ->
            n == null || n.isNull() || n.isMissingNode() ? "" : scalar(k, n).trim(), s -> s.isEmpty() ? "" : "***");

    public static final ConfigType<Boolean> BOOLEAN = new ConfigType<>("boolean", (k, n) -> {
        String s = scalar(k, n).trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + scalar(k, n)
                    + "' is not a boolean (true or false)");
        };
    }, String::valueOf);

    public static final ConfigType<Integer> POSITIVE_INT = new ConfigType<>("integer >= 1", (k, n) -> {
        String s = scalar(k, n).trim();
        try {
            int v = Integer.parseInt(s);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s + "' is not an integer >= 1");
    }, String::valueOf);

    public static final ConfigType<Double> RATIO = new ConfigType<>("ratio 0..1", (k, n) -> {
        String s = scalar(k, n).trim();
        try {
            double v = Double.parseDouble(s);
            if (v >= 0.0 && v <= 1.0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s
                + "' is not a ratio between 0 and 1 (e.g. 0.3)");
    }, String::valueOf);

    public static final ConfigType<Duration> DURATION = new ConfigType<>("duration",
            (k, n) -> DurationParser.parse(k, scalar(k, n)), DurationParser::format);

    public static final ConfigType<Long> SIZE = new ConfigType<>("size",
            (k, n) -> ByteSizeParser.parse(k, scalar(k, n)), ByteSizeParser::format);

    public static final ConfigType<HostPort> ADDRESS = new ConfigType<>("host:port",
            (k, n) -> HostPort.parse(k, scalar(k, n)), HostPort::toString);

    public static final ConfigType<WritePolicy> WRITE_POLICY = new ConfigType<>("write policy",
            (k, n) -> {
                try {
                    return WritePolicy.parse(k, scalar(k, n));
                } catch (WcacheException.InvalidArgument e) {
                    throw new WcacheException.InvalidArgument(k, "config key '" + k + "': " + e.getMessage());
                }
            }, Enum::name);

    public static final ConfigType<S3AuthMode> S3_AUTH = new ConfigType<>("sigv4 | none", (k, n) -> {
        String s = scalar(k, n).trim();
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "sigv4" -> S3AuthMode.SIGV4;
            case "none" -> S3AuthMode.NONE;
            default -> throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s
                    + "' is not an S3 auth mode (sigv4 or none)");
        };
    }, m -> m.name().toLowerCase(Locale.ROOT));

    public static final ConfigType<AdminAuthMode> ADMIN_AUTH = new ConfigType<>("token | none", (k, n) -> {
        String s = scalar(k, n).trim();
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "token" -> AdminAuthMode.TOKEN;
            case "none" -> AdminAuthMode.NONE;
            default -> throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s
                    + "' is not an admin auth mode (token or none)");
        };
    }, m -> m.name().toLowerCase(Locale.ROOT));

    /** Which libfuse serves a FUSE mount: {@code auto}, {@code fuse3} or {@code fuse2}, lower-cased. */
    public static final ConfigType<String> FUSE_LIBRARY = new ConfigType<>("auto | fuse3 | fuse2", (k, n) -> {
        String s = scalar(k, n).trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "auto", "fuse3", "fuse2" -> s;
            default -> throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s
                    + "' is not a FUSE library (auto, fuse3 or fuse2)");
        };
    }, s -> s);

    /** {@code embedded:<dir>} or {@code fdb:<cluster-file>} (the cluster file may be empty: the default one). */
    public static final ConfigType<String> ENGINE_SPEC = new ConfigType<>("engine spec", (k, n) -> {
        String s = scalar(k, n).trim();
        if ((s.startsWith("embedded:") && s.length() > "embedded:".length()) || s.startsWith("fdb:")) {
            return s;
        }
        throw new WcacheException.InvalidArgument(k, "config key '" + k + "': '" + s
                + "' is not a metadata engine (embedded:<dir> or fdb:<cluster-file>)");
    }, s -> s);

    public static final ConfigType<List<String>> STRING_LIST = new ConfigType<>("list of strings", (k, n) -> {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            int i = 0;
            for (JsonNode e : n) {
                out.add(STRING.parse(k + "[" + i++ + "]", e));
            }
        } else {
            out.add(STRING.parse(k, n));
        }
        if (out.isEmpty()) {
            throw new WcacheException.InvalidArgument(k, "config key '" + k + "': the list is empty");
        }
        return List.copyOf(out);
    }, l -> "[" + String.join(", ", l) + "]");

    private static final java.util.Set<String> CREDENTIAL_FIELDS =
            java.util.Set.of("accessKey", "secretKey", "userId", "displayName", "email");

    public static final ConfigType<List<S3Credential>> CREDENTIALS = new ConfigType<>(
            "list of {accessKey, secretKey[, userId, displayName, email]}",
            (k, n) -> {
                if (n == null || n.isNull()) {
                    return List.of();
                }
                ArrayNode array;
                if (n.isArray()) {
                    array = (ArrayNode) n;
                } else {
                    throw new WcacheException.InvalidArgument(k, "config key '" + k
                            + "': expected a list of {accessKey, secretKey}, got '" + n + "'");
                }
                List<S3Credential> out = new ArrayList<>();
                for (int i = 0; i < array.size(); i++) {
                    String at = k + "[" + i + "]";
                    JsonNode e = array.get(i);
                    if (!e.isObject()) {
                        throw new WcacheException.InvalidArgument(at, "config key '" + at
                                + "': expected {accessKey, secretKey}, got '" + e + "'");
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                        String f = it.next().getKey();
                        if (!CREDENTIAL_FIELDS.contains(f)) {
                            throw new WcacheException.InvalidArgument(at + "." + f, "unknown config key '" + at + "." + f
                                    + "' (a credential has accessKey, secretKey and optionally userId, displayName, email)");
                        }
                    }
                    out.add(new S3Credential(STRING.parse(at + ".accessKey", e.get("accessKey")),
                            STRING.parse(at + ".secretKey", e.get("secretKey")),
                            e.hasNonNull("userId") ? STRING.parse(at + ".userId", e.get("userId")) : null,
                            e.hasNonNull("displayName") ? STRING.parse(at + ".displayName", e.get("displayName")) : null,
                            e.hasNonNull("email") ? STRING.parse(at + ".email", e.get("email")) : null));
                }
                return List.copyOf(out);
            }, l -> l.isEmpty() ? "[]" : l.stream().map(c -> c.accessKey() + ":***").toList().toString());
}
