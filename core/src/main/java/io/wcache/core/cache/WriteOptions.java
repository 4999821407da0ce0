package io.wcache.core.cache;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Options of a new object: its content type, user metadata ({@code x-amz-meta-*} without the
 * prefix), the MD5 the client declared ({@code Content-MD5}, checked at commit), {@code
 * ifNoneMatch}: refuse to create the object if the path already exists (S3's {@code If-None-Match:
 * *}; FUSE's {@code O_EXCL}), the {@link StandardHeaders standard headers} stored with the object
 * ({@code Cache-Control}, {@code Content-Disposition}, ...; validated, keyed in lower case), and
 * {@code ifMatch}: the ETags one of which the current object must have (S3's {@code If-Match};
 * empty: no condition), and {@code tags}: the object's S3 tags (already validated by the frontend), and
 * {@code checksum}: for a multipart upload, the checksum algorithm and type its parts and completed
 * object carry (a single write's checksum is given to {@link WriteSession#commit(Optional)} instead). Both conditions are checked again when the write commits, atomically with
 * it: of concurrent conditional writers of one path, exactly those the condition admits win.
 * {@code etagLater}: the write may commit before its MD5 is taken (a file written through the
 * FUSE mount, which nobody asked an ETag of yet): the cache computes it after the commit, and an
 * S3 answer that needs it first computes it then ({@link ObjectInfo#etagPending()}).
 */
public record WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                           boolean ifNoneMatch, Map<String, String> standardHeaders, List<String> ifMatch,
                           Map<String, String> tags, Optional<ObjectChecksum> checksum, boolean etagLater) {

    public WriteOptions {
        userMetadata = Map.copyOf(userMetadata);
        expectedMd5 = expectedMd5 == null ? Optional.empty() : expectedMd5;
        standardHeaders = StandardHeaders.of(standardHeaders);
        ifMatch = ifMatch == null ? List.of() : List.copyOf(ifMatch);
        tags = tags == null ? Map.of() : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tags));
        checksum = checksum == null ? Optional.empty() : checksum;
        // A declared Content-MD5 is checked at the commit: such a write takes its MD5 on the way in.
        etagLater = etagLater && expectedMd5.isEmpty();
    }

    /** Options whose ETag is taken before the commit. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch, Map<String, String> standardHeaders, List<String> ifMatch,
                        Map<String, String> tags, Optional<ObjectChecksum> checksum) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, tags, checksum, false);
    }

    /**
     * The same options, letting the write commit before its MD5 is taken; ignored when the client
     * declared a {@code Content-MD5}, which the commit must check.
     */
    public WriteOptions withEtagLater() {
        return new WriteOptions(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, tags,
                checksum, true);
    }

    /** Options without a checksum. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch, Map<String, String> standardHeaders, List<String> ifMatch,
                        Map<String, String> tags) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, tags, Optional.empty());
    }

    /** The same options with a multipart upload's checksum algorithm and type. */
    public WriteOptions withChecksum(Optional<ObjectChecksum> newChecksum) {
        return new WriteOptions(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, tags,
                newChecksum, etagLater);
    }

    /** Options without tags. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch, Map<String, String> standardHeaders, List<String> ifMatch) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, Map.of());
    }

    /** The same options with {@code tags} (S3 object tags) instead. */
    public WriteOptions withTags(Map<String, String> newTags) {
        return new WriteOptions(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, ifMatch, newTags,
                checksum, etagLater);
    }

    /** Options without an {@code If-Match} condition. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch, Map<String, String> standardHeaders) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, standardHeaders, List.of());
    }

    /** Options without standard headers. */
    public WriteOptions(String contentType, Map<String, String> userMetadata, Optional<byte[]> expectedMd5,
                        boolean ifNoneMatch) {
        this(contentType, userMetadata, expectedMd5, ifNoneMatch, Map.of(), List.of());
    }

    public static WriteOptions defaults() {
        return new WriteOptions(null, Map.of(), Optional.empty(), false, Map.of(), List.of());
    }
}
