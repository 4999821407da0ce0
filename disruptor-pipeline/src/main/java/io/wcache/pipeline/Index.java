package io.wcache.pipeline;

import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Catalog;
import io.wcache.schema.catalog.CatalogOp;
import io.wcache.schema.catalog.OpOutcome;
import java.util.List;

/**
 * The index handler's view of the Catalog: reserve file ids ahead of publishing, and apply one
 * batch of operations in one transaction. {@link #of} adapts the real {@link Catalog}; tests wrap
 * it to inject faults.
 */
public interface Index {

    long reserveFileId(BeginRequest request);

    List<OpOutcome> apply(List<CatalogOp> ops);

    static Index of(Catalog catalog) {
        return new Index() {
            @Override
            public long reserveFileId(BeginRequest request) {
                return catalog.files().reserveFileId();
            }

            @Override
            public List<OpOutcome> apply(List<CatalogOp> ops) {
                return catalog.files().apply(ops);
            }
        };
    }
}
