package io.wcache.schema.catalog;

import java.util.List;

/**
 * What recording or dropping a part written through the pipeline freed: the extents of the copy
 * of the part it replaced ({@link CatalogOp.PutPart}), or of the unrecorded copy it dropped
 * ({@link CatalogOp.AbortPart}), whose log records may now be released.
 */
public record PartResult(List<Extent> released) {
    public PartResult {
        released = List.copyOf(released);
    }
}
