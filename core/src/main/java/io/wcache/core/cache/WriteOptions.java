package io.wcache.core.cache;

import java.util.Map;
import java.util.Optional;

/**
 * Options of a new object: its content type, user metadata ({@code x-amz-meta-*} without the
 * prefix), the MD5 the client declared ({@code Content-MD5}, checked at commit), {@code
 * ifNoneMatch}: refuse to create the object if the path already exists (S3's {@code If-None-Match:
 * *}; FUSE's {@code O_EXCL}), and the {@link StandardHeaders standard headers} stored with the
 * object ({@code Cache-Control}, {@code Content-Disposition}, ...; validated, keyed in lower case).
 */
public record WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                           boolean ifNoneMatch, Map<String, String> standardHeaders) {

    public WriteOptions {
        userMetadata = Map.copyOf(userMetadata);
        expectedMd5 = expectedMd5 == null ? Optional.empty() : expectedMd5;
        standardHeaders = StandardHeaders.of(standardHeaders);
    }

    /** Options without standard headers. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, Map.of());
    }

    public static WriteOptions defaults() {
        return new WriteOptions(null, Map.of(), Optional.empty(), false, Map.of());
    }
}
