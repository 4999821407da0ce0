package io.wcache.schema.catalog;

/** A part named in a CompleteMultipartUpload request: its number and the ETag the client saw. */
public record CompletedPart(int partNumber, String etag) {
}
