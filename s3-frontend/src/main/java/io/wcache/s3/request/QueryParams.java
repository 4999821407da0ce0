package io.wcache.s3.request;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The decoded query parameters of a request, in order, repeated names kept. A parameter given
 * without {@code =} (a sub-resource such as {@code ?uploads}) has the value {@code ""}.
 */
public record QueryParams(Map<String, List<String>> values) {

    /** No parameters. */
    public static final QueryParams EMPTY = new QueryParams(Map.of());

    public QueryParams {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        values = Collections.unmodifiableMap(copy);
    }

    /**
     * Parses a raw query string ({@code a=1&b&c=%20}).
     *
     * @throws io.wcache.s3.error.S3Exception {@code InvalidURI} on bad escapes or invalid UTF-8
     */
    public static QueryParams parse(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return EMPTY;
        }
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = PercentCodec.decode(eq < 0 ? part : part.substring(0, eq), true);
            String value = eq < 0 ? "" : PercentCodec.decode(part.substring(eq + 1), true);
            m.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return new QueryParams(m);
    }

    /** Whether the parameter is present (with or without a value). */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** The first value of the parameter. */
    public Optional<String> first(String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }
}
