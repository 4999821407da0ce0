package io.wcache.schema.catalog;

import java.time.Instant;

/** One uploaded part: its number, the file id its extents are stored under, size and ETag. */
public record PartInfo(String uploadId, int partNumber, long fileId, long size, String etag, Instant createdTime) {
}
