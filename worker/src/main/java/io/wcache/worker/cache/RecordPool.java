package io.wcache.worker.cache;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The record buffers of the write sessions ({@link RecordStager}): direct buffers of one record,
 * lent to a session while it stages a record and while the log writes and the hasher reads it,
 * then given back and lent again. Before, every record of a large write was a new 1 MiB heap
 * array: the appending thread (an S3 event loop, the FUSE thread) spent about a quarter of its
 * time having the kernel zero fresh pages for it, the collector copied and freed them, and the
 * log's write copied each one into a temporary direct buffer first (docs/PERFORMANCE.md,
 * "Issue 19, large objects"). A direct buffer is written to the segment file as it is.
 *
 * <p>At most {@code max} buffers are ever allocated (lazily); when all are lent the pool lends
 * heap buffers, which are not kept. A buffer given back that was not lent (twice, or never) is
 * ignored, so one mistake cannot hand the same buffer to two writes. Thread-safe.
 */
final class RecordPool {

    /** The pool the sessions share: up to 1/16 of the heap's maximum, at most 64 records (64 MiB). */
    static final RecordPool SHARED = new RecordPool(RecordStager.RECORD,
            (int) Math.max(4, Math.min(64, Runtime.getRuntime().maxMemory() / 16 / RecordStager.RECORD)));

    private final int size;
    private final int max;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    // Guarded by itself.
    private final Set<ByteBuffer> lent = Collections.newSetFromMap(new IdentityHashMap<>());
    private int allocated;

    RecordPool(int size, int max) {
        this.size = size;
        this.max = max;
    }

    /** A cleared buffer of {@link #size()} bytes: a pooled direct one, or a heap one when every pooled buffer is lent. */
    ByteBuffer take() {
        ByteBuffer b = free.poll();
        synchronized (lent) {
            if (b == null && allocated < max) {
                allocated++;
                b = ByteBuffer.allocateDirect(size);
            }
            if (b == null) {
                return ByteBuffer.allocate(size);
            }
            lent.add(b);
        }
        return b.clear();
    }

    /** Takes back a buffer from {@link #take()}, which nothing reads or writes any more. */
    void give(ByteBuffer b) {
        if (b == null || !b.isDirect()) {
            return;
        }
        synchronized (lent) {
            if (!lent.remove(b)) {
                return;
            }
        }
        free.offer(b);
    }

    int size() {
        return size;
    }

    /** Pooled buffers lent now. */
    int lent() {
        synchronized (lent) {
            return lent.size();
        }
    }

    /** Pooled buffers allocated so far. */
    int allocated() {
        synchronized (lent) {
            return allocated;
        }
    }
}
