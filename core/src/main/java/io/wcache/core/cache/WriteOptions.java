package io.wcache.core.cache;

import java.util.Map;
import java.util.Optional;

/**
 * Options of a new object: its content type, user metadata ({@code x-amz-meta-*} without the
 * prefix), the MD5 the client declared ({@code Content-MD5}, checked at commit), and
 * {@code ifNoneMatch}: refuse to create the object if the path already exists (S3's
 * {@code If-None-Match: *}; FUSE's {@code O_EXCL}).
 */
public record WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                           boolean ifNoneMatch) {

    public WriteOptions {
        userMetadata = Map.copyOf(userMetadata);
        expectedMd5 = expectedMd5 == null ? Optional.empty() : expectedMd5;
    }

    public static WriteOptions defaults() {
        return new WriteOptions(null, Map.of(), Optional.empty(), false);
    }
}
