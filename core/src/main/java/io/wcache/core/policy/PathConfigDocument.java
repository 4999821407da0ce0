package io.wcache.core.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text form of a path config, for {@code wcadm pathconfig show|edit|import}: YAML (JSON is
 * valid YAML too) with an optional global default and a list of rules. Parsing is strict: an
 * unknown field, a bad path, policy or replica count is an {@link WcacheException.InvalidArgument}
 * naming the field (such as {@code rules[2].policy}) and the value.
 *
 * <pre>
 * default: {policy: WRITE_THROUGH, writeReplicas: 1}
 * rules:
 *   - {prefix: /s3/logs, policy: WRITE_BACK, writeReplicas: 2}
 * </pre>
 */
public final class PathConfigDocument {

    private static final YAMLMapper YAML = new YAMLMapper();

    private PathConfigDocument() {
    }

    /** Reads a document; the default from {@code base} applies when the document has none. */
    public static PathConfig parse(String text, PathConfig base) {
        JsonNode root;
        try {
            root = text.isBlank() ? YAML.createObjectNode() : YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new WcacheException.InvalidArgument("pathconfig", "path config is not valid YAML: " + e.getOriginalMessage());
        }
        if (root == null || root.isNull()) {
            root = YAML.createObjectNode();
        }
        if (!root.isObject()) {
            throw new WcacheException.InvalidArgument("pathconfig", "path config must be a map with 'default' and 'rules'");
        }
        onlyFields(root, "", Set.of("default", "rules"));
        WritePolicy defaultPolicy = base.defaultPolicy();
        int defaultReplicas = base.defaultWriteReplicas();
        JsonNode d = root.get("default");
        if (d != null && !d.isNull()) {
            if (!d.isObject()) {
                throw new WcacheException.InvalidArgument("default", "'default' must be {policy, writeReplicas}");
            }
            onlyFields(d, "default.", Set.of("policy", "writeReplicas"));
            if (d.has("policy")) {
                defaultPolicy = WritePolicy.parse("default.policy", text(d.get("policy"), "default.policy"));
            }
            if (d.has("writeReplicas")) {
                defaultReplicas = replicas(d.get("writeReplicas"), "default.writeReplicas");
            }
        }
        List<PathRule> rules = new ArrayList<>();
        JsonNode r = root.get("rules");
        if (r != null && !r.isNull()) {
            if (!r.isArray()) {
                throw new WcacheException.InvalidArgument("rules", "'rules' must be a list");
            }
            for (int i = 0; i < r.size(); i++) {
                String at = "rules[" + i + "]";
                JsonNode rule = r.get(i);
                if (!rule.isObject()) {
                    throw new WcacheException.InvalidArgument(at, at + " must be {prefix, policy, writeReplicas}");
                }
                onlyFields(rule, at + ".", Set.of("prefix", "policy", "writeReplicas"));
                NamespacePath prefix;
                String prefixText = text(rule.get("prefix"), at + ".prefix");
                try {
                    prefix = NamespacePath.of(prefixText);
                } catch (WcacheException.InvalidPath e) {
                    throw new WcacheException.InvalidArgument(at + ".prefix", at + ".prefix '" + prefixText + "': " + e.getMessage());
                }
                WritePolicy policy = WritePolicy.parse(at + ".policy", text(rule.get("policy"), at + ".policy"));
                int replicas = rule.has("writeReplicas") ? replicas(rule.get("writeReplicas"), at + ".writeReplicas") : 1;
                rules.add(new PathRule(prefix, policy, replicas));
            }
        }
        return PathConfig.of(defaultPolicy, defaultReplicas, base.writeCacheEnabled(), rules);
    }

    /** Writes the default and the rules in path order; {@link #parse} reads it back to an equal config. */
    public static String format(PathConfig config) {
        ObjectNode root = YAML.createObjectNode();
        ObjectNode d = root.putObject("default");
        d.put("policy", config.defaultPolicy().name());
        d.put("writeReplicas", config.defaultWriteReplicas());
        ArrayNode rules = root.putArray("rules");
        for (PathRule rule : config.rules()) {
            ObjectNode n = rules.addObject();
            n.put("prefix", rule.prefix().toString());
            n.put("policy", rule.policy().name());
            n.put("writeReplicas", rule.writeReplicas());
        }
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void onlyFields(JsonNode node, String at, Set<String> allowed) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String f = it.next().getKey();
            if (!allowed.contains(f)) {
                throw new WcacheException.InvalidArgument(at + f, "unknown field '" + at + f + "' (expected one of "
                        + allowed.stream().sorted().toList() + ")");
            }
        }
    }

    private static String text(JsonNode node, String at) {
        if (node == null || node.isNull() || !node.isValueNode()) {
            throw new WcacheException.InvalidArgument(at, at + " is missing or not a single value");
        }
        return node.asText();
    }

    private static int replicas(JsonNode node, String at) {
        String v = text(node, at);
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= PathRule.MAX_WRITE_REPLICAS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new WcacheException.InvalidArgument(at, at + " '" + v + "' is not an integer in 1.." + PathRule.MAX_WRITE_REPLICAS);
    }
}
