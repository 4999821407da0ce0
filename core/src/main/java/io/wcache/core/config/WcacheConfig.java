package io.wcache.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.wcache.core.error.WcacheException;
import io.wcache.core.mount.Mount;
import io.wcache.core.mount.MountTable;
import io.wcache.core.policy.PathConfig;
import io.wcache.core.policy.WritePolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A loaded, fully validated configuration: the declared defaults of {@link ConfigKeys}, then a
 * YAML file (flat dotted keys, or the same keys nested as maps, plus a {@code mounts} list),
 * then {@code --set key=value} overrides, in that order of precedence. Every value is parsed
 * when the config is loaded, so a bad value or an unknown key fails start-up with an
 * {@link WcacheException.InvalidArgument} that names the key and the value. Immutable.
 */
public final class WcacheConfig {

    /** Classpath resource of the config used when no file is given ({@link #shipped()}). */
    public static final String SHIPPED_RESOURCE = "/io/wcache/core/config/wcache.yaml";

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Map<String, Object> values;
    private final Map<String, String> sources;
    private final MountTable mounts;

    private WcacheConfig(Map<String, Object> values, Map<String, String> sources, MountTable mounts) {
        this.values = values;
        this.sources = sources;
        this.mounts = mounts;
    }

    /** Only the declared defaults: no file, no overrides, no mounts. */
    public static WcacheConfig defaults() {
        return build(JsonNodeFactory.instance.objectNode(), "defaults", List.of());
    }

    /**
     * The config shipped with wcache, used by {@code wcache serve} when no {@code --config} is
     * given, with {@code overrides} applied.
     */
    public static WcacheConfig shipped(List<String> overrides) {
        try (InputStream in = WcacheConfig.class.getResourceAsStream(SHIPPED_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SHIPPED_RESOURCE);
            }
            return fromYaml(new String(in.readAllBytes(), StandardCharsets.UTF_8), "shipped config", overrides);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SHIPPED_RESOURCE, e);
        }
    }

    /** Loads a YAML file and applies {@code --set} overrides ({@code key=value} strings). */
    public static WcacheConfig load(Path file, List<String> overrides) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new WcacheException.NotFound(file.toString(), "config file " + file + " does not exist");
        } catch (IOException e) {
            throw new WcacheException.InvalidArgument(file.toString(), "cannot read config file " + file + ": " + e, e);
        }
        return fromYaml(text, file.toString(), overrides);
    }

    /** Parses YAML text ({@code sourceName} appears in errors) and applies overrides. */
    public static WcacheConfig fromYaml(String yaml, String sourceName, List<String> overrides) {
        JsonNode root;
        try {
            root = yaml.isBlank() ? null : YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new WcacheException.InvalidArgument(sourceName, "config " + sourceName + " is not valid YAML: "
                    + e.getOriginalMessage() + locationOf(e), e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            root = JsonNodeFactory.instance.objectNode();
        }
        if (!root.isObject()) {
            throw new WcacheException.InvalidArgument(sourceName, "config " + sourceName
                    + " must be a map of keys to values, got '" + root + "'");
        }
        return build((ObjectNode) root, sourceName, overrides);
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
    }

    private static WcacheConfig build(ObjectNode root, String sourceName, List<String> overrides) {
        Map<String, JsonNode> raw = new LinkedHashMap<>();
        Map<String, String> sources = new TreeMap<>();
        flatten("", root, raw, sourceName, sources);
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                throw new WcacheException.InvalidArgument(override, "--set '" + override + "' is not key=value");
            }
            String key = override.substring(0, eq).trim();
            String value = override.substring(eq + 1);
            raw.put(key, overrideNode(key, value));
            sources.put(key, "--set");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : raw.keySet()) {
            if (!key.equals(ConfigKeys.MOUNTS) && ConfigKeys.byName(key).isEmpty()) {
                throw unknownKey(key);
            }
        }
        // data.dir first: the other defaults are written relative to it.
        String dataDir = ConfigKeys.DATA_DIR.type().parse(ConfigKeys.DATA_DIR.name(),
                raw.getOrDefault(ConfigKeys.DATA_DIR.name(), text(ConfigKeys.DATA_DIR.defaultText())));
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            JsonNode node = raw.get(key.name());
            if (node == null) {
                node = defaultNode(key, dataDir);
                sources.putIfAbsent(key.name(), "default");
            }
            values.put(key.name(), key.type().parse(key.name(), node));
        }
        MountTable mounts = parseMounts(raw.get(ConfigKeys.MOUNTS), dataDir);
        return new WcacheConfig(values, sources, mounts);
    }

    private static JsonNode text(String s) {
        return JsonNodeFactory.instance.textNode(s);
    }

    private static JsonNode defaultNode(ConfigKey<?> key, String dataDir) {
        String text = key.defaultText().replace("${data.dir}", dataDir);
        if (key.type().structured()) {
            try {
                return YAML.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("bad declared default of " + key.name(), e);
            }
        }
        return text(text);
    }

    private static JsonNode overrideNode(String key, String value) {
        boolean structured = key.equals(ConfigKeys.MOUNTS)
                || ConfigKeys.byName(key).map(k -> k.type().structured()).orElse(false);
        String v = value.trim();
        if (structured && (v.startsWith("[") || v.startsWith("{"))) {
            try {
                return YAML.readTree(v);
            } catch (JsonProcessingException e) {
                throw new WcacheException.InvalidArgument(key, "config key '" + key + "': '" + value
                        + "' is not a valid YAML list: " + e.getOriginalMessage());
            }
        }
        if (structured && ConfigKeys.byName(key).map(k -> k.type() == ConfigType.STRING_LIST).orElse(false)) {
            var array = JsonNodeFactory.instance.arrayNode();
            for (String part : v.split(",", -1)) {
                array.add(part.trim());
            }
            return array;
        }
        return text(value);
    }

    /** Nested maps are accepted as an alternative spelling of dotted keys. */
    private static void flatten(String prefix, ObjectNode node, Map<String, JsonNode> out, String sourceName,
                                Map<String, String> sources) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            boolean known = key.equals(ConfigKeys.MOUNTS) || ConfigKeys.byName(key).isPresent();
            if (!known && e.getValue().isObject()) {
                flatten(key, (ObjectNode) e.getValue(), out, sourceName, sources);
            } else {
                if (out.put(key, e.getValue()) != null) {
                    throw new WcacheException.InvalidArgument(key, "config key '" + key + "' is set twice in "
                            + sourceName);
                }
                sources.put(key, sourceName);
            }
        }
    }

    private static WcacheException.InvalidArgument unknownKey(String key) {
        String hint = ConfigKeys.closest(key).map(c -> "; did you mean '" + c + "'?").orElse("");
        return new WcacheException.InvalidArgument(key, "unknown config key '" + key + "'" + hint);
    }

    /** The mount list; {@code ${data.dir}} in a mount's {@code ufs} stands for the data directory, as in the keys' defaults. */
    private static MountTable parseMounts(JsonNode node, String dataDir) {
        if (node == null || node.isNull()) {
            return MountTable.empty();
        }
        if (!node.isArray()) {
            throw new WcacheException.InvalidArgument(ConfigKeys.MOUNTS, "config key 'mounts': expected a list of "
                    + "{path, ufs, options}, got '" + node + "'");
        }
        List<Mount> mounts = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String at = "mounts[" + i + "]";
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                throw new WcacheException.InvalidArgument(at, "config key '" + at + "': expected {path, ufs}, got '"
                        + m + "'");
            }
            Map<String, String> options = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String name = f.getKey();
                if (name.equals("path") || name.equals("ufs")) {
                    continue;
                }
                if (name.equals("options") && f.getValue().isObject()) {
                    for (Iterator<Map.Entry<String, JsonNode>> o = f.getValue().fields(); o.hasNext(); ) {
                        Map.Entry<String, JsonNode> opt = o.next();
                        options.put(opt.getKey(), ConfigType.scalar(at + ".options." + opt.getKey(), opt.getValue()));
                    }
                } else if (name.startsWith("ufs.")) {
                    options.put(name, ConfigType.scalar(at + "." + name, f.getValue()));
                } else {
                    throw new WcacheException.InvalidArgument(at + "." + name, "unknown config key '" + at + "." + name
                            + "' (a mount has path, ufs, options and ufs.* options)");
                }
            }
            String path = ConfigType.STRING.parse(at + ".path", m.get("path"));
            String ufs = ConfigType.STRING.parse(at + ".ufs", m.get("ufs")).replace("${data.dir}", dataDir);
            try {
                mounts.add(Mount.of(path, ufs, options));
            } catch (WcacheException e) {
                throw new WcacheException.InvalidArgument(at, "config key '" + at + "': " + e.getMessage(), e);
            }
        }
        try {
            return MountTable.of(mounts);
        } catch (WcacheException e) {
            throw new WcacheException.InvalidArgument(ConfigKeys.MOUNTS, "config key 'mounts': " + e.getMessage(), e);
        }
    }

    /** The typed value of a declared key. */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        Object v = values.get(key.name());
        if (v == null) {
            throw new IllegalArgumentException("undeclared config key " + key.name());
        }
        return (T) v;
    }

    /** Where a key's value came from: {@code default}, the file name, or {@code --set}. */
    public String source(ConfigKey<?> key) {
        return sources.getOrDefault(key.name(), "default");
    }

    /** The effective value of every key, formatted as a user would write it (secrets hidden). */
    public Map<String, String> effectiveValues() {
        Map<String, String> out = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            out.put(key.name(), format(key));
        }
        return out;
    }

    private <T> String format(ConfigKey<T> key) {
        return key.type().format(get(key));
    }

    public MountTable mounts() {
        return mounts;
    }

    /** This config with another mount table; every key keeps its value and source. */
    public WcacheConfig withMounts(MountTable other) {
        return new WcacheConfig(values, sources, other);
    }

    /**
     * This config with one key set to {@code value} (already typed), its source recorded as
     * {@code source}: how one config is derived for each worker of a one-process cluster.
     */
    public <T> WcacheConfig with(ConfigKey<T> key, T value, String source) {
        if (ConfigKeys.byName(key.name()).isEmpty()) {
            throw new IllegalArgumentException("undeclared config key " + key.name());
        }
        Map<String, Object> v = new LinkedHashMap<>(values);
        v.put(key.name(), value);
        Map<String, String> src = new LinkedHashMap<>(sources);
        src.put(key.name(), source);
        return new WcacheConfig(v, src, mounts);
    }

    /** The path config's global default from this config, with no rules (rules live in metadata). */
    public PathConfig pathConfigDefaults() {
        return PathConfig.of(get(ConfigKeys.PATH_DEFAULT_POLICY), get(ConfigKeys.PATH_DEFAULT_WRITE_REPLICAS),
                get(ConfigKeys.WRITE_CACHE_ENABLED), List.of());
    }

    public Path dataDir() {
        return Path.of(get(ConfigKeys.DATA_DIR));
    }

    public String metadataEngine() {
        return get(ConfigKeys.METADATA_ENGINE);
    }

    public List<Path> cacheDirs() {
        return get(ConfigKeys.CACHE_DIRS).stream().map(Path::of).toList();
    }

    public long cacheCapacityBytes() {
        return get(ConfigKeys.CACHE_CAPACITY);
    }

    /** Bytes pinned data may use: capacity times the pinned ratio. */
    public long pinnedCapacityBytes() {
        return (long) (cacheCapacityBytes() * get(ConfigKeys.PINNED_CAPACITY_RATIO));
    }

    public HostPort s3Address() {
        return get(ConfigKeys.S3_ADDRESS);
    }

    public HostPort adminAddress() {
        return get(ConfigKeys.ADMIN_ADDRESS);
    }

    public boolean writeCacheEnabled() {
        return get(ConfigKeys.WRITE_CACHE_ENABLED);
    }

    public WritePolicy defaultPolicy() {
        return get(ConfigKeys.PATH_DEFAULT_POLICY);
    }

    public Duration danglingSessionTimeout() {
        return get(ConfigKeys.MARK_WRITING_DURATION);
    }

    public Duration orphanSessionTimeout() {
        return get(ConfigKeys.ORPHAN_TIMEOUT);
    }

    @Override
    public String toString() {
        return "WcacheConfig" + effectiveValues() + " mounts=" + mounts;
    }
}
