package io.wcache.tools.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds a manifest document to the fabric8 Kubernetes API model of its {@code apiVersion} and
 * {@code kind}, refusing what the API server's strict field validation refuses: a field the model
 * does not declare. The fabric8 classes accept any field into an {@code additionalProperties} map
 * (so {@code FAIL_ON_UNKNOWN_PROPERTIES} alone never fires); this walks the bound object graph and
 * fails on the first non-empty one, naming its JSON path. A value of the wrong type fails in Jackson.
 */
final class StrictKubernetesModel {

    /** The kinds deploy/kubernetes uses; any other kind is an error, not silently skipped. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/PersistentVolume", PersistentVolume.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("apps/v1/DaemonSet", DaemonSet.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("storage.k8s.io/v1/StorageClass", StorageClass.class),
            Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
            Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class));

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private StrictKubernetesModel() {
    }

    /** The model class of {@code apiVersion/kind}, or an error naming it. */
    static Class<? extends HasMetadata> classOf(JsonNode doc) {
        String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
        Class<? extends HasMetadata> c = KINDS.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no Kubernetes model for " + key + " (known: " + KINDS.keySet() + ")");
        }
        return c;
    }

    /** Binds {@code doc} to its model class; throws naming the first field the model does not know. */
    static HasMetadata parse(JsonNode doc) {
        return parse(doc, classOf(doc));
    }

    static <T> T parse(JsonNode doc, Class<T> type) {
        T value;
        try {
            value = MAPPER.treeToValue(doc, type);
        } catch (Exception e) {
            throw new IllegalArgumentException(type.getSimpleName() + " does not bind: " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        walk(value, "", unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(type.getSimpleName() + " has fields the Kubernetes API does not define: "
                    + unknown);
        }
        return value;
    }

    /** Binds object metadata alone (of a custom resource, whose schema leaves it to the API server). */
    static ObjectMeta parseMetadata(JsonNode metadata) {
        return parse(metadata, ObjectMeta.class);
    }

    private static void walk(Object value, String path, List<String> unknown, Map<Object, Boolean> seen) {
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", unknown, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                walk(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                f.setAccessible(true);
                Object v;
                try {
                    v = f.get(value);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (f.getName().equals("additionalProperties")) {
                    if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        for (Object k : extra.keySet()) {
                            unknown.add((path.isEmpty() ? "" : path + ".") + k);
                        }
                    }
                } else {
                    walk(v, path + "." + jsonName(f), unknown, seen);
                }
            }
        }
    }

    private static String jsonName(Field f) {
        com.fasterxml.jackson.annotation.JsonProperty p = f.getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
        return p != null && !p.value().isEmpty() ? p.value() : f.getName();
    }
}
