package io.wcache.persister.ufs;

import io.wcache.core.cache.StandardHeaders;
import io.wcache.core.error.WcacheException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What is stored with an object besides its bytes: its content type, user metadata and standard
 * headers. Values are validated once here, against the rules every UFS can keep (S3's header
 * rules), so that a put never silently changes what the caller asked to store.
 *
 * @param contentType     the MIME type; {@code application/octet-stream} when not given
 * @param userMetadata    metadata keys (lower-case {@code [a-z0-9._-]}) to printable ASCII values, at most 2 KiB in all
 * @param standardHeaders {@link StandardHeaders} (Cache-Control, Content-Disposition, Content-Encoding,
 *                        Content-Language, Expires) keyed in lower case, to printable ASCII values
 */
public record PutOptions(String contentType, Map<String, String> userMetadata, Map<String, String> standardHeaders) {

    /** The content type used when none is given. */
    public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    static final int MAX_USER_METADATA_BYTES = 2048;
    private static final Pattern METADATA_KEY = Pattern.compile("[a-z0-9._-]{1,128}");
    private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x20-\\x7e]*");
    // After the patterns: the constructor of this constant uses them.
    /** The defaults: binary content, no user metadata. */
    public static final PutOptions DEFAULT = new PutOptions(DEFAULT_CONTENT_TYPE, Map.of());

    public PutOptions {
        contentType = contentType == null || contentType.isEmpty() ? DEFAULT_CONTENT_TYPE : contentType;
        if (!PRINTABLE_ASCII.matcher(contentType).matches() || contentType.length() > 256) {
            throw new WcacheException.InvalidArgument(contentType, "content type must be printable ASCII, at most 256 characters");
        }
        Objects.requireNonNull(userMetadata, "userMetadata");
        int bytes = 0;
        for (Map.Entry<String, String> e : userMetadata.entrySet()) {
            String key = e.getKey();
            String value = Objects.requireNonNull(e.getValue(), "user metadata value");
            if (key == null || !METADATA_KEY.matcher(key).matches()) {
                throw new WcacheException.InvalidArgument(key,
                        "user metadata key must be 1-128 characters of lower-case letters, digits, '.', '_' or '-'");
            }
            if (!PRINTABLE_ASCII.matcher(value).matches()) {
                throw new WcacheException.InvalidArgument(key, "user metadata value must be printable ASCII");
            }
            bytes += key.getBytes(StandardCharsets.US_ASCII).length + value.length();
        }
        if (bytes > MAX_USER_METADATA_BYTES) {
            throw new WcacheException.InvalidArgument(null,
                    "user metadata is " + bytes + " bytes; at most " + MAX_USER_METADATA_BYTES + " are allowed");
        }
        userMetadata = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(userMetadata));
        standardHeaders = StandardHeaders.of(standardHeaders);
        for (Map.Entry<String, String> e : standardHeaders.entrySet()) {
            if (!PRINTABLE_ASCII.matcher(e.getValue()).matches()) {
                throw new WcacheException.InvalidArgument(e.getKey(), "standard header value must be printable ASCII");
            }
        }
    }

    /** Options without standard headers. */
    public PutOptions(String contentType, Map<String, String> userMetadata) {
        this(contentType, userMetadata, Map.of());
    }

    /** Options with the given content type and no user metadata. */
    public static PutOptions contentType(String contentType) {
        return new PutOptions(contentType, Map.of());
    }

    /** A copy with the given user metadata. */
    public PutOptions withUserMetadata(Map<String, String> metadata) {
        return new PutOptions(contentType, metadata, standardHeaders);
    }

    /** A copy with the given standard headers. */
    public PutOptions withStandardHeaders(Map<String, String> headers) {
        return new PutOptions(contentType, userMetadata, headers);
    }
}
