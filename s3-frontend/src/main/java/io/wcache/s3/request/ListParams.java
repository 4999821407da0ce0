package io.wcache.s3.request;

import java.util.Optional;

/**
 * The parameters of a ListObjects (v1 or v2) or ListMultipartUploads request. The delimiter may
 * be any string, not just {@code /}; {@code maxKeys} is already clamped to S3's 1000.
 *
 * @param prefix            keys must start with this ({@code ""} for all)
 * @param delimiter         groups keys into common prefixes at its first occurrence after the prefix
 * @param maxKeys           at most this many keys plus common prefixes per page (0..1000)
 * @param marker            v1 {@code marker} (or {@code key-marker} for uploads): list keys after it
 * @param continuationToken v2 opaque token from the previous page
 * @param startAfter        v2 {@code start-after}
 * @param urlEncoded        {@code encoding-type=url}: keys and prefixes in the response are URL-encoded
 * @param fetchOwner        v2 {@code fetch-owner}
 */
public record ListParams(String prefix, Optional<String> delimiter, int maxKeys, Optional<String> marker,
                         Optional<String> continuationToken, Optional<String> startAfter,
                         boolean urlEncoded, boolean fetchOwner) {
    /** S3's default and maximum page size. */
    public static final int MAX_KEYS = 1000;

    public ListParams {
        prefix = prefix == null ? "" : prefix;
        if (maxKeys < 0 || maxKeys > MAX_KEYS) {
            throw new IllegalArgumentException("maxKeys out of range: " + maxKeys);
        }
    }
}
