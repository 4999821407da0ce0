package io.wcache.pipeline;

import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import io.wcache.logstore.space.PinnedReservation;
import io.wcache.schema.catalog.AbortResult;
import io.wcache.schema.catalog.BeginRequest;
import io.wcache.schema.catalog.CommitRequest;
import io.wcache.schema.catalog.CommitResult;
import io.wcache.schema.catalog.DeleteResult;
import io.wcache.schema.catalog.Extent;
import io.wcache.schema.catalog.FileVersion;
import io.wcache.schema.catalog.PartResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import com.lmax.disruptor.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path: a bounded, multi-producer LMAX Disruptor ring feeding a journal stage (log-store
 * appends and one shared sync per batch) and after it an index stage (one Catalog
 * transaction per batch); the index stage, the last to pass a request, acknowledges it and publishes
 * its {@link ChangeEvent}. A request's future completes only after its data is fsynced and its
 * metadata committed; when the ring is full, producers wait, and nothing is dropped.
 *
 * <p>Writers hand over bytes through a {@link SegmentWriter}, which builds the ops:
 *
 * <pre>{@code
 * SegmentWriter w = pipeline.openWriter(BeginRequest.of(path, WRITE_BACK, "w1"));
 * CommitResult r = w.commit(body, new CommitRequest(len, md5Hex, crc)).join(); // BEGIN+APPEND+COMMIT, one batch
 * }</pre>
 */
public final class WritePipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WritePipeline.class);

    private final PipelineConfig config;
    private final Journal journal;
    private final Index index;
    private final Disruptor<RingSlot> disruptor;
    private final RingBuffer<RingSlot> ring;
    private final IndexHandler indexHandler;
    private final JournalHandler journalHandler;
    /** The handler threads, joined at close: an idle stage may be mid-transaction when the ring drains. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<Consumer<? super ChangeEvent>> subscribers = new CopyOnWriteArrayList<>();
    // Publishing holds the read lock so close() (write lock) never strands a claimed, unpublished slot.
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private WritePipeline(PipelineConfig config, Journal journal, Index index) {
        this.config = config;
        this.journal = journal;
        this.index = index;
        AtomicInteger n = new AtomicInteger();
        this.disruptor = new Disruptor<>(RingSlot::new, config.ringSize(), r -> {
            Thread t = new Thread(r, "wcache-pipeline-" + n.incrementAndGet());
            t.setDaemon(true);
            // The threads that acknowledge writes; with OS priorities (the launcher, as root) they
            // win the cores over background work such as uploads (docs/PERFORMANCE.md).
            t.setPriority(Thread.MAX_PRIORITY);
            threads.add(t);
            return t;
        }, ProducerType.MULTI, new ParkingWaitStrategy());
        Completion completion = new Completion(journal, index, subscribers);
        this.journalHandler = new JournalHandler(journal, completion, config.copyMaxBytes());
        this.indexHandler = new IndexHandler(index, completion, journalHandler, config.workerId());
        disruptor.setDefaultExceptionHandler(new ExceptionHandler<>() {
            @Override
            public void handleEventException(Throwable ex, long sequence, RingSlot slot) {
                // Handlers catch their own failures and always arrive at their slots; this only logs.
                LOG.error("event=pipeline_handler_error sequence={} error={}", sequence, ex.toString(), ex);
            }

            @Override
            public void handleOnStartException(Throwable ex) {
                LOG.error("event=pipeline_start_error error={}", ex.toString(), ex);
            }

            @Override
            public void handleOnShutdownException(Throwable ex) {
                LOG.warn("event=pipeline_shutdown_error error={}", ex.toString());
            }
        });
        // The Catalog commit of a batch runs beside its log sync (after its appends): a commit made
        // before its bytes are known synced keeps its undo until they are, and a request is
        // acknowledged only when both are durable; see the README.
        disruptor.handleEventsWith(journalHandler, indexHandler);
        this.ring = disruptor.start();
        LOG.info("event=pipeline_started ring_size={} worker={}", config.ringSize(), config.workerId());
    }

    /** Starts a pipeline over a journal and an index (see {@link Journal#of}, {@link Index#of}). */
    public static WritePipeline start(PipelineConfig config, Journal journal, Index index) {
        return new WritePipeline(config, journal, index);
    }

    public PipelineConfig config() {
        return config;
    }

    Journal journal() {
        return journal;
    }

    /**
     * A count that moves with every operation published (each write's records, commits, aborts,
     * deletes): the ring's cursor. Background work watches it to tell whether writes are arriving.
     */
    public long publishedOps() {
        return ring.getCursor();
    }

    /**
     * Opens a write of a version of {@code request.path()}: a {@link SegmentWriter} over a new
     * session whose file id is reserved now (nothing is published until its first record or commit).
     */
    public SegmentWriter openWriter(BeginRequest request) {
        return new SegmentWriter(this, newSession(request));
    }

    /** Opens a write of part {@code partNumber} of multipart upload {@code uploadId} (see {@link #newPartSession}). */
    public SegmentWriter openPartWriter(BeginRequest request, String uploadId, int partNumber) {
        return new SegmentWriter(this, newPartSession(request, uploadId, partNumber));
    }

    /**
     * Opens the write of this worker's copy of version {@code ofFileId} of {@code request.path()},
     * which another worker writes ({@code writeReplicas > 1}): records and {@link SegmentWriter#flush}
     * only; its extents are recorded under a file id of its own as they land, and an abort drops
     * them unless the version was committed with this copy.
     */
    public SegmentWriter openCopyWriter(BeginRequest request, long ofFileId) {
        return new SegmentWriter(this, PipelineSession.copy(request, index.reserveFileId(request), ofFileId));
    }

    /** A new session for {@code request}, with its file id reserved now (no Catalog write yet). */
    public PipelineSession newSession(BeginRequest request) {
        return new PipelineSession(request, index.reserveFileId(request));
    }

    /**
     * A new session writing part {@code partNumber} of multipart upload {@code uploadId} of
     * {@code request.path()}. Its Begin checks the upload, its appends record extents under the
     * part's own file id, its Commit records the part ({@link #commitPart}) and its Abort drops the
     * copy ({@link #abortPart}).
     */
    public PipelineSession newPartSession(BeginRequest request, String uploadId, int partNumber) {
        return new PipelineSession(request, index.reserveFileId(request), uploadId, partNumber);
    }

    /**
     * Registers a subscriber to committed and deleted changes. It is called on the sync or the index
     * thread (whichever completes the request), possibly from both at once, so it must be thread-safe
     * and short. Changes of one path arrive in commit order as long as writers of a path wait for one
     * commit before publishing the next (the worker's path locks do).
     */
    public void subscribe(Consumer<? super ChangeEvent> subscriber) {
        subscribers.add(subscriber);
    }

    /**
     * Publishes {@code ops} to consecutive ring slots (so they normally share a batch) and returns
     * one future per op, in order. Blocks while the ring is full.
     *
     * @throws WcacheException.Unavailable when the pipeline is closed
     */
    public List<CompletableFuture<Object>> publish(List<PipelineOp> ops) {
        int n = ops.size();
        if (n == 0) {
            return List.of();
        }
        if (n > config.ringSize()) {
            throw new WcacheException.InvalidArgument(null, n + " ops do not fit a ring of " + config.ringSize());
        }
        List<CompletableFuture<Object>> futures = new ArrayList<>(n);
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new WcacheException.Unavailable("pipeline", "the write pipeline is closed", null);
            }
            long hi = ring.next(n);
            long lo = hi - n + 1;
            for (int i = 0; i < n; i++) {
                RingSlot slot = ring.get(lo + i);
                CompletableFuture<Object> f = new CompletableFuture<>();
                slot.op = ops.get(i);
                slot.future = f;
                slot.expectStages();
                futures.add(f);
            }
            ring.publish(lo, hi);
        } finally {
            lifecycle.readLock().unlock();
        }
        return futures;
    }

    private CompletableFuture<Object> one(PipelineOp op) {
        return publish(List.of(op)).get(0);
    }

    public CompletableFuture<FileVersion> begin(PipelineSession session) {
        return one(new PipelineOp.Begin(session)).thenApply(FileVersion.class::cast);
    }

    /** Appends {@code payload} (its CRC32C is computed here) at {@code offset}. */
    public CompletableFuture<Extent> append(PipelineSession session, long offset, ByteBuffer payload,
                                            PinnedReservation reservation) {
        return one(new PipelineOp.Append(session, offset, payload, reservation, crc32c(payload)))
                .thenApply(Extent.class::cast);
    }

    public CompletableFuture<CommitResult> commit(PipelineSession session, CommitRequest request) {
        return one(new PipelineOp.Commit(session, request)).thenApply(CommitResult.class::cast);
    }

    public CompletableFuture<AbortResult> abort(PipelineSession session) {
        return one(new PipelineOp.Abort(session)).thenApply(AbortResult.class::cast);
    }

    /** Records a part session as its upload's part; completes with the replaced copy's extents. */
    public CompletableFuture<PartResult> commitPart(PipelineSession session, CommitRequest request) {
        requirePart(session);
        return one(new PipelineOp.Commit(session, request)).thenApply(PartResult.class::cast);
    }

    /** Drops an unacknowledged part session's extents; completes with them, for release. */
    public CompletableFuture<PartResult> abortPart(PipelineSession session) {
        requirePart(session);
        return one(new PipelineOp.Abort(session)).thenApply(PartResult.class::cast);
    }

    private static void requirePart(PipelineSession session) {
        if (!session.isPart()) {
            throw new IllegalArgumentException(session + " is not a part session");
        }
    }

    public CompletableFuture<DeleteResult> delete(NamespacePath path) {
        return one(new PipelineOp.Delete(path)).thenApply(DeleteResult.class::cast);
    }

    /** The CRC32C of {@code b}'s remaining bytes, without moving its position. */
    public static long crc32c(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate());
        return crc.getValue();
    }

    /**
     * For A/B measurements only: with {@code serial}, the index stage waits for each batch's log
     * sync before its Catalog transaction, as the pipeline did before the two overlapped (no commit
     * is then pending). Production never sets it.
     */
    public void serialSyncForMeasurement(boolean serial) {
        indexHandler.serialSync = serial;
    }

    /** Measurement only: overrides {@link PipelineConfig#copyMaxBytes} from the next batch on (0: no copies). */
    public void copyMaxForMeasurement(int bytes) {
        journalHandler.copyMaxBytes = bytes;
    }

    /** Stops accepting requests, finishes every published one, and stops the handler threads. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        try {
            disruptor.shutdown(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warn("event=pipeline_shutdown_timeout");
            disruptor.halt();
        }
        // shutdown() returns once the ring is drained and the stages are told to stop, not once
        // their threads have: an idle index stage may still be recording confirmations, which must
        // reach the Catalog before the caller closes it.
        awaitHandlerThreads(TimeUnit.SECONDS.toNanos(30));
        // The records of copy-carrying commits are synced, and the undos of commits whose sync is
        // confirmed go now, while the log store and the Catalog are still open.
        try {
            journalHandler.syncCopies();
        } catch (RuntimeException e) {
            // Their copies stay in the Catalog: the next start's recovery settles them.
            LOG.warn("event=pipeline_close_sync_failed error={}", e.toString());
        }
        indexHandler.confirmIdle();
        LOG.info("event=pipeline_stopped");
    }

    private void awaitHandlerThreads(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOG.warn("event=pipeline_thread_still_running thread={}", t.getName());
            }
        }
    }
}
