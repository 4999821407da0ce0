package io.wcache.core.cache;

import io.wcache.core.error.WcacheException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The standard HTTP headers S3 stores with an object besides its content type, and returns on
 * GET and HEAD: {@code Cache-Control}, {@code Content-Disposition}, {@code Content-Encoding},
 * {@code Content-Language} and {@code Expires}. They travel as one map keyed by the canonical
 * lower-case header name; {@link #of(Map)} is the single place that checks a map against this
 * fixed set, so nothing else can be smuggled into a response or a UFS request as a "header".
 */
public final class StandardHeaders {

    public static final String CACHE_CONTROL = "cache-control";
    public static final String CONTENT_DISPOSITION = "content-disposition";
    public static final String CONTENT_ENCODING = "content-encoding";
    public static final String CONTENT_LANGUAGE = "content-language";
    public static final String EXPIRES = "expires";

    /** Every header name this class accepts, in canonical lower case. */
    public static final List<String> NAMES = List.of(CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING,
            CONTENT_LANGUAGE, EXPIRES);

    /** A bound per value, well under any HTTP server's header limit (S3 allows 8 KiB of headers in all). */
    public static final int MAX_VALUE_LENGTH = 2048;

    private StandardHeaders() {
    }

    /**
     * The headers of {@code headers}, validated: names are matched case-insensitively against
     * {@link #NAMES} and stored in lower case; empty values are dropped (nothing to store); a value
     * holding a control character other than tab (a CR or LF would split a response header) or
     * longer than {@link #MAX_VALUE_LENGTH} is refused. {@code null} is an empty map.
     *
     * @return an unmodifiable map sorted by name
     * @throws WcacheException.InvalidArgument for an unknown name or an invalid value
     */
    public static SortedMap<String, String> of(Map<String, String> headers) {
        TreeMap<String, String> out = new TreeMap<>();
        if (headers == null) {
            return Collections.unmodifiableSortedMap(out);
        }
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String name = e.getKey() == null ? null : e.getKey().toLowerCase(Locale.ROOT);
            if (name == null || !NAMES.contains(name)) {
                throw new WcacheException.InvalidArgument(e.getKey(),
                        "not a stored standard header; known: " + String.join(", ", NAMES));
            }
            String value = e.getValue();
            if (value == null || value.isEmpty()) {
                continue;
            }
            if (value.length() > MAX_VALUE_LENGTH) {
                throw new WcacheException.InvalidArgument(name, "header value is " + value.length()
                        + " characters; at most " + MAX_VALUE_LENGTH + " are allowed");
            }
            if (!storable(value)) {
                throw new WcacheException.InvalidArgument(name, "header value contains a control character");
            }
            if (out.put(name, value) != null) {
                throw new WcacheException.InvalidArgument(name, "header given twice");
            }
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /** Whether {@code value} can be stored and sent back: at most {@link #MAX_VALUE_LENGTH} characters, no control character but tab. */
    public static boolean storable(String value) {
        if (value.length() > MAX_VALUE_LENGTH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** An HTTP date (RFC 1123, as {@code Expires} carries one), or empty for anything else. */
    public static Optional<Instant> httpDate(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
