package io.wcache.schema.catalog;

import io.wcache.core.path.NamespacePath;
import java.util.List;

/**
 * One operation of a batch applied in a single transaction ({@link Catalog#apply}); the write
 * pipeline sends one batch per ring batch. Each operation gets its own {@link OpOutcome}.
 */
public sealed interface CatalogOp {

    /**
     * Open a write session; succeeds with the new {@link FileVersion}. {@code reservedFileId} is an
     * id from {@link Catalog#reserveFileId()} (so the caller can frame data with it before the
     * batch commits), or 0 to have the batch allocate one.
     */
    record Begin(BeginRequest request, long reservedFileId) implements CatalogOp {
        public Begin {
            if (reservedFileId < 0) {
                throw new IllegalArgumentException("reservedFileId must be 0 or an id from reserveFileId()");
            }
        }

        public Begin(BeginRequest request) {
            this(request, 0);
        }
    }

    /** Record extents of a session; succeeds with the updated session {@link FileVersion}. */
    record AddExtents(SessionRef session, List<Extent> extents) implements CatalogOp {
        public AddExtents {
            extents = List.copyOf(extents);
        }
    }

    /** Commit a session; succeeds with a {@link CommitResult}. */
    record Commit(SessionRef session, CommitRequest request) implements CatalogOp {
    }

    /** Abort a session; succeeds with an {@link AbortResult}. */
    record Abort(SessionRef session) implements CatalogOp {
    }

    /** Delete a path; succeeds with a {@link DeleteResult}. */
    record Delete(NamespacePath path) implements CatalogOp {
    }
}
