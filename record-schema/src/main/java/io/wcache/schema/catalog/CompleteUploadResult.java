package io.wcache.schema.catalog;

import java.util.List;

/**
 * A completed multipart upload: the commit of the assembled object, the extents of uploaded
 * parts the client did not name (whose pages may now be reclaimed), and the assembled object's
 * extents: the parts' log records, now under the new file id (no byte was copied), which every
 * in-memory holder of those locations must learn.
 */
public record CompleteUploadResult(CommitResult commit, List<Extent> discardedExtents, List<Extent> assembledExtents) {
    public CompleteUploadResult {
        discardedExtents = List.copyOf(discardedExtents);
        assembledExtents = List.copyOf(assembledExtents);
    }
}
