package io.wcache.persister.ufs;

import io.wcache.core.cache.StandardHeaders;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An object as the UFS describes it. Listings carry only key, size, ETag and time; {@link
 * UnderFileSystem#head} and {@link UnderFileSystem#put} also carry content type, user metadata and,
 * where the UFS keeps them, standard headers.
 *
 * @param key          the key relative to the mount root
 * @param size         the size in bytes
 * @param etag         the entity tag without quotes (the MD5 of the bytes for single-part writes)
 * @param lastModified when the object was last written
 * @param contentType  the MIME type, or {@code null} when unknown (in listings)
 * @param userMetadata the user metadata; empty in listings
 * @param standardHeaders the {@link StandardHeaders} stored with the object, keyed in lower case; empty in
 *                     listings and on a UFS that does not keep them
 */
public record UfsObject(String key, long size, String etag, Instant lastModified, String contentType,
                        Map<String, String> userMetadata, Map<String, String> standardHeaders) {

    public UfsObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(lastModified, "lastModified");
        userMetadata = userMetadata == null ? Map.of() : Map.copyOf(userMetadata);
        standardHeaders = StandardHeaders.of(standardHeaders);
    }

    /** An object described without standard headers. */
    public UfsObject(String key, long size, String etag, Instant lastModified, String contentType,
                     Map<String, String> userMetadata) {
        this(key, size, etag, lastModified, contentType, userMetadata, Map.of());
    }
}
