package io.wcache.core.cache;

import java.time.Instant;

/** A stored part of a multipart upload. {@code etag} is the part's hex MD5 without quotes. */
public record PartInfo(int partNumber, long size, String etag, Instant lastModified) {
}
