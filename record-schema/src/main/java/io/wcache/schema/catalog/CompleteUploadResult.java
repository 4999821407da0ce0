package io.wcache.schema.catalog;

import java.util.List;

/**
 * A completed multipart upload: the commit of the assembled object, and the extents of uploaded
 * parts the client did not name, whose pages may now be reclaimed.
 */
public record CompleteUploadResult(CommitResult commit, List<Extent> discardedExtents) {
    public CompleteUploadResult {
        discardedExtents = List.copyOf(discardedExtents);
    }
}
