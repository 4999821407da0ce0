package io.wcache.core.cache;

/** A part named by a CompleteMultipartUpload request: its number and the ETag the client got for it. */
public record PartRef(int partNumber, String etag) {
}
