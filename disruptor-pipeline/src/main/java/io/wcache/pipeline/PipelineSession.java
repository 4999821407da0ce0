package io.wcache.pipeline;

import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.SessionRef;
import java.util.ArrayList;
import java.util.List;

/**
 * One write session as the pipeline sees it: the Begin request, the file id reserved for it before
 * anything was published (so the journal frames its records with the final id), and the extents
 * the journal wrote for it. A part session writes part {@link #partNumber()} of a multipart upload:
 * the same route (reserve, append, group sync, Catalog batch), but the index stage records it as
 * the upload's part instead of a version of the path. A failure of any of its operations poisons the session: later
 * operations of it fail with the same error instead of leaving a gap in the file.
 *
 * <p>Threading: {@link #extents} is appended to only by the journal thread; other threads read it
 * after the future of a later operation of the session completed (which orders the reads after the
 * writes).
 */
public final class PipelineSession {

    private final BeginRequest request;
    private final long fileId;
    private final SessionRef ref;
    /** Set for a part of a multipart upload: its ops become the Catalog's part ops. */
    private final String uploadId;
    private final int partNumber;
    /** Set (non-zero) for a replica's copy: the file id of the version it copies. */
    private final long copyOf;
    private final List<Extent> extents = new ArrayList<>();
    private volatile WcacheException failure;
    /** Index stage only: the ring sequence of this session's last append it has seen, -1 before any. */
    long lastAppendSequence = -1;
    /**
     * Its records are synced by its commit's batch ({@link SegmentWriter#syncAtCommit()}): the journal
     * passing one of its appends does not mean it was synced. Set before anything is published.
     */
    volatile boolean syncsAtCommit;
    /**
     * Its whole body and its commit arrived in one journal batch and fit {@link PipelineConfig#copyMaxBytes}:
     * the commit carries a copy of the body and is acknowledged without waiting for the log sync of
     * its records. Set by the journal before it says it appended that batch; {@link #copySize} with it.
     */
    volatile boolean carriesCopy;
    int copySize;
    /** Index stage only: the body gathered for the commit's copy. */
    private byte[] copy;

    PipelineSession(BeginRequest request, long fileId) {
        this(request, fileId, null, 0);
    }

    PipelineSession(BeginRequest request, long fileId, String uploadId, int partNumber) {
        this(request, fileId, uploadId, partNumber, 0);
    }

    private PipelineSession(BeginRequest request, long fileId, String uploadId, int partNumber, long copyOf) {
        this.request = request;
        this.fileId = fileId;
        this.ref = new SessionRef(request.path(), fileId);
        this.uploadId = uploadId;
        this.partNumber = partNumber;
        this.copyOf = copyOf;
    }

    /** A session writing this worker's copy of version {@code copyOf} (written by another worker) under {@code fileId}. */
    static PipelineSession copy(BeginRequest request, long fileId, long copyOf) {
        return new PipelineSession(request, fileId, null, 0, copyOf);
    }

    /**
     * Whether this session writes a replica's copy of a version another worker writes: its extents
     * are recorded under its own file id as they land, and no version of the path is opened or committed.
     */
    public boolean isCopy() {
        return copyOf != 0;
    }

    /** The file id of the version this session copies (0 unless {@link #isCopy()}). */
    public long copyOf() {
        return copyOf;
    }

    /** Whether this session writes a part of a multipart upload rather than a version of its path. */
    public boolean isPart() {
        return uploadId != null;
    }

    /** The multipart upload this session writes a part of, or null. */
    public String uploadId() {
        return uploadId;
    }

    public int partNumber() {
        return partNumber;
    }

    public BeginRequest request() {
        return request;
    }

    public NamespacePath path() {
        return request.path();
    }

    public long fileId() {
        return fileId;
    }

    public SessionRef ref() {
        return ref;
    }

    /** The error that poisoned this session, or null. */
    public WcacheException failure() {
        return failure;
    }

    /** The extents written so far, in offset order (a copy). Call after an operation's future completed. */
    public synchronized List<Extent> extents() {
        return List.copyOf(extents);
    }

    synchronized void addExtent(Extent e) {
        extents.add(e);
    }

    synchronized void fail(WcacheException e) {
        if (failure == null) {
            failure = e;
        }
    }

    /** Index stage only: adds an appended payload (its remaining bytes, not consumed) to the copy. */
    void gather(long offset, java.nio.ByteBuffer payload) {
        if (offset < 0 || offset + payload.remaining() > copySize) {
            return; // not within the body: the Catalog refuses the commit (its extents do not cover the size)
        }
        if (copy == null) {
            copy = new byte[copySize];
        }
        payload.duplicate().get(copy, (int) offset, payload.remaining());
    }

    /** Index stage only: the gathered copy, handed to the commit (and forgotten here). */
    byte[] takeCopy() {
        byte[] c = copy;
        if (c == null) {
            // Never a copy of bytes it did not see: the commit fails rather than carry zeros.
            throw new IllegalStateException("no appended bytes gathered for the copy of " + ref);
        }
        copy = null;
        return c;
    }

    @Override
    public String toString() {
        return ref.toString();
    }
}
