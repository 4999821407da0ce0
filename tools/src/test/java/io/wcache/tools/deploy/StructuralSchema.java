package io.wcache.tools.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Validates a custom resource against the {@code openAPIV3Schema} of its CustomResourceDefinition
 * the way the API server does with strict field validation ({@code kubectl apply --validate=strict}):
 * types, {@code required}, {@code enum}, string length and pattern, integer bounds, array sizes,
 * {@code x-kubernetes-int-or-string}, and a field that the schema does not declare is an error
 * (the server would prune it silently without strict validation). Written here because CRD schemas
 * are structural OpenAPI, not JSON Schema: a JSON Schema validator allows undeclared fields and does
 * not know the {@code x-kubernetes-*} extensions. Only the keywords the FoundationDB operator's CRD
 * uses are implemented; {@link #validate} fails on any other, so a new CRD cannot pass unchecked.
 */
final class StructuralSchema {

    private static final List<String> KNOWN_KEYWORDS = List.of("type", "properties", "items", "required", "enum",
            "additionalProperties", "description", "format", "default", "maxLength", "minLength", "pattern",
            "maximum", "minimum", "maxItems", "minItems", "anyOf", "nullable", "x-kubernetes-int-or-string",
            "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
            "x-kubernetes-preserve-unknown-fields");

    private StructuralSchema() {
    }

    /** The errors of {@code value} against {@code schema}, each naming its JSON path; empty when valid. */
    static List<String> validate(JsonNode value, JsonNode schema) {
        List<String> errors = new ArrayList<>();
        check(value, schema, "", errors);
        return errors;
    }

    private static void check(JsonNode value, JsonNode schema, String path, List<String> errors) {
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String keyword = it.next();
            if (!KNOWN_KEYWORDS.contains(keyword)) {
                errors.add(path + ": the schema uses '" + keyword + "', which this validator does not implement");
                return;
            }
        }
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean(false)) {
                errors.add(path + ": null is not allowed");
            }
            return;
        }
        if (schema.has("anyOf") && !schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            errors.add(path + ": the schema uses anyOf beyond int-or-string, which this validator does not implement");
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!value.isIntegralNumber() && !value.isTextual()) {
                errors.add(path + ": expected an integer or a string, got " + value.getNodeType());
            }
            return;
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode e : schema.get("enum")) {
                listed |= e.equals(value);
            }
            if (!listed) {
                errors.add(path + ": '" + value.asText() + "' is not one of " + schema.get("enum"));
            }
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> checkObject(value, schema, path, errors);
            case "array" -> checkArray(value, schema, path, errors);
            case "string" -> checkString(value, schema, path, errors);
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    errors.add(path + ": expected an integer, got " + value.getNodeType() + " " + value);
                } else {
                    checkBounds(value, schema, path, errors);
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    errors.add(path + ": expected a number, got " + value.getNodeType());
                } else {
                    checkBounds(value, schema, path, errors);
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(path + ": expected a boolean, got " + value.getNodeType() + " " + value);
                }
            }
            default -> errors.add(path + ": the schema has no type this validator knows ('" + type + "')");
        }
    }

    private static void checkObject(JsonNode value, JsonNode schema, String path, List<String> errors) {
        if (!value.isObject()) {
            errors.add(path + ": expected an object, got " + value.getNodeType());
            return;
        }
        for (JsonNode r : schema.path("required")) {
            if (!value.has(r.asText())) {
                errors.add(path + "." + r.asText() + ": required");
            }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String at = path + "." + f.getKey();
            if (properties.has(f.getKey())) {
                check(f.getValue(), properties.get(f.getKey()), at, errors);
            } else if (additional != null && additional.isObject()) {
                check(f.getValue(), additional, at, errors);
            } else if (!(preserve || (additional != null && additional.asBoolean(false)))) {
                errors.add(at + ": unknown field (the CRD's schema does not declare it)");
            }
        }
    }

    private static void checkArray(JsonNode value, JsonNode schema, String path, List<String> errors) {
        if (!value.isArray()) {
            errors.add(path + ": expected a list, got " + value.getNodeType());
            return;
        }
        if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
            errors.add(path + ": more than " + schema.get("maxItems").asInt() + " items");
        }
        if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
            errors.add(path + ": fewer than " + schema.get("minItems").asInt() + " items");
        }
        for (int i = 0; i < value.size(); i++) {
            check(value.get(i), schema.path("items"), path + "[" + i + "]", errors);
        }
    }

    private static void checkString(JsonNode value, JsonNode schema, String path, List<String> errors) {
        if (!value.isTextual()) {
            errors.add(path + ": expected a string, got " + value.getNodeType() + " " + value);
            return;
        }
        String s = value.asText();
        if (schema.has("maxLength") && s.length() > schema.get("maxLength").asInt()) {
            errors.add(path + ": longer than " + schema.get("maxLength").asInt() + " characters");
        }
        if (schema.has("minLength") && s.length() < schema.get("minLength").asInt()) {
            errors.add(path + ": shorter than " + schema.get("minLength").asInt() + " characters");
        }
        // OpenAPI patterns are ECMA regular expressions matched anywhere in the value, not anchored.
        if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(s).find()) {
            errors.add(path + ": '" + s + "' does not match " + schema.get("pattern").asText());
        }
    }

    private static void checkBounds(JsonNode value, JsonNode schema, String path, List<String> errors) {
        if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
            errors.add(path + ": above " + schema.get("maximum"));
        }
        if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
            errors.add(path + ": below " + schema.get("minimum"));
        }
    }
}
