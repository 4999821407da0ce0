package io.wcache.schema.catalog;

import java.util.List;

/** An aborted session and the extents it had written, whose pages may now be reclaimed. */
public record AbortResult(FileVersion aborted, List<Extent> extents) {
    public AbortResult {
        extents = List.copyOf(extents);
    }
}
