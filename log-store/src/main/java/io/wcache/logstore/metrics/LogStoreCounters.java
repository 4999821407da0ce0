package io.wcache.logstore.metrics;

import java.nio.ByteBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The store's event counters, allocated in an Agrona {@link CountersManager}: each is a padded
 * 64-bit slot updated without locks or allocation, and all are readable by label through
 * {@link #reader()} (a metrics bridge iterates them). Space gauges are not counters; they come
 * from the ledger.
 */
public final class LogStoreCounters {

    private static final int MAX_COUNTERS = 16;

    private final CountersManager manager;
    public final AtomicCounter appends;
    public final AtomicCounter appendedBytes;
    public final AtomicCounter evictions;
    public final AtomicCounter compactions;
    public final AtomicCounter relocatedExtents;
    public final AtomicCounter droppedExtents;
    public final AtomicCounter corruptionsSeen;
    public final AtomicCounter recoveredTruncatedBytes;
    /** Segment deletions refused because the index still referenced bytes in the file (a bug made loud). */
    public final AtomicCounter segmentDeletesRefused;

    public LogStoreCounters() {
        AtomicBuffer metadata = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * CountersReader.METADATA_LENGTH));
        AtomicBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        appends = manager.newCounter("logstore.appends");
        appendedBytes = manager.newCounter("logstore.appended.bytes");
        evictions = manager.newCounter("logstore.evictions");
        compactions = manager.newCounter("logstore.compactions");
        relocatedExtents = manager.newCounter("logstore.relocated.extents");
        droppedExtents = manager.newCounter("logstore.dropped.extents");
        corruptionsSeen = manager.newCounter("logstore.corruptions");
        recoveredTruncatedBytes = manager.newCounter("logstore.recovery.truncated.bytes");
        segmentDeletesRefused = manager.newCounter("logstore.segment.deletes.refused");
    }

    /** All counters with their labels, for export. */
    public CountersReader reader() {
        return manager;
    }
}
