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

    /**
     * Commit a session; succeeds with a {@link CommitResult}. With {@code pendingSync}, the log sync
     * of the session's bytes runs beside this commit and is not confirmed yet: the commit keeps its
     * undo (the superseded version and its extents) until {@link ConfirmSynced} names it.
     */
    record Commit(SessionRef session, CommitRequest request, boolean pendingSync, byte[] copy) implements CatalogOp {
        /** The largest body a commit keeps a copy of (one value: FoundationDB refuses values over 100,000 bytes). */
        public static final int MAX_COPY_BYTES = 90_000;

        public Commit(SessionRef session, CommitRequest request) {
            this(session, request, false, null);
        }

        public Commit(SessionRef session, CommitRequest request, boolean pendingSync) {
            this(session, request, pendingSync, null);
        }

        /**
         * With {@code copy} (only with {@code pendingSync}): the session's whole body, bytes 0 to its
         * size, kept with the undo until the sync is confirmed. The write is then acknowledged
         * without waiting for its log sync: if its records do not survive, restart recovery writes
         * them again from this copy instead of rolling the path back.
         */
        public Commit {
            if (copy != null && (!pendingSync || copy.length != request.size() || copy.length > MAX_COPY_BYTES)) {
                throw new IllegalArgumentException("a commit's copy goes with pendingSync and holds the whole body, at "
                        + "most " + MAX_COPY_BYTES + " bytes: " + copy.length + " bytes for a size of " + request.size());
            }
        }
    }

    /**
     * The log syncs of these versions' bytes are confirmed: their undos go (blind clears). Succeeds
     * with null.
     */
    record ConfirmSynced(List<Long> fileIds) implements CatalogOp {
        public ConfirmSynced {
            fileIds = List.copyOf(fileIds);
        }
    }

    /**
     * The log sync of a version committed with {@code pendingSync} failed: roll its path back to the
     * version it superseded. Succeeds with an {@code Optional<RolledBack>} (empty when it is no
     * longer current, or was confirmed).
     */
    record RollBackUnsynced(long fileId) implements CatalogOp {
    }

    /** Abort a session; succeeds with an {@link AbortResult}. */
    record Abort(SessionRef session) implements CatalogOp {
    }

    /** Delete a path; succeeds with a {@link DeleteResult}. */
    record Delete(NamespacePath path) implements CatalogOp {
    }

    /*
     * A part of a multipart upload written through the pipeline: its bytes live under their own file
     * id, which no file of the namespace has; its extents are recorded as they are written (so a
     * relocation of its records finds them), and become the part only when PutPart records it.
     */

    /** A part starts: the upload must be in progress; it counts as activity. Succeeds with its {@link MultipartUploadInfo}. */
    record BeginPart(String uploadId, long fileId) implements CatalogOp {
    }

    /** Record extents of a part being written; succeeds with the extents. Fails if the upload is gone. */
    record AddPartExtents(String uploadId, long fileId, List<Extent> extents) implements CatalogOp {
        public AddPartExtents {
            extents = List.copyOf(extents);
        }
    }

    /**
     * Make the part's recorded extents, which must cover {@code [0, size)}, part {@code partNumber}
     * of the upload, replacing an earlier copy, with the flexible checksum it was uploaded with (if
     * any); succeeds with a {@link PartResult} of the replaced copy.
     */
    record PutPart(String uploadId, int partNumber, long fileId, long size, String etag,
                   java.util.Optional<io.wcache.core.cache.ObjectChecksum> checksum) implements CatalogOp {
        public PutPart {
            checksum = checksum == null ? java.util.Optional.empty() : checksum;
        }

        /** A part without a checksum. */
        public PutPart(String uploadId, int partNumber, long fileId, long size, String etag) {
            this(uploadId, partNumber, fileId, size, etag, java.util.Optional.empty());
        }
    }

    /**
     * Drop a copy of a part that was not acknowledged: its extents, and the part record if it names
     * this copy's file id (a commit rolled back); succeeds with a {@link PartResult}. Works after
     * the upload is gone.
     */
    record AbortPart(String uploadId, int partNumber, long fileId) implements CatalogOp {
    }

    /*
     * A replica's copy of a version being written on another worker (writeReplicas > 1): its extents
     * are recorded under the copy's own file id as they land; the version's commit lists the copy
     * (CommitRequest.replicas). See ReplicaCopies.
     */

    /** Record extents of a copy being written; succeeds with the extents. */
    record AddCopyExtents(long copyFileId, List<Extent> extents) implements CatalogOp {
        public AddCopyExtents {
            extents = List.copyOf(extents);
        }
    }

    /**
     * Drop an unfinished copy, unless version {@code ofFileId} was committed with it; succeeds with
     * an {@link AbortResult} of the extents dropped (none when kept).
     */
    record DropCopy(long ofFileId, long copyFileId) implements CatalogOp {
    }
}
