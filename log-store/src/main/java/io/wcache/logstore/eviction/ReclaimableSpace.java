package io.wcache.logstore.eviction;

import io.wcache.logstore.Location;
import io.wcache.logstore.segment.Segment;
import io.wcache.logstore.segment.StoredRecord;
import io.wcache.logstore.space.SpaceLedger;
import java.util.List;

/**
 * What the reclaimer needs from the store: its directories' usage, their sealed segments, the
 * ledger, verified whole-record reads, appends of copies, a durable sync and segment deletion.
 * The store implements it; keeping it narrow keeps eviction policy apart from file handling.
 */
public interface ReclaimableSpace {

    int dirCount();

    long usedBytes(int dir);

    long capacity(int dir);

    /** Segments of {@code dir} that no longer take appends. */
    List<Segment> sealedSegments(int dir);

    SpaceLedger ledger();

    /** Reads and verifies a whole record; throws the store's typed errors. */
    StoredRecord readRecord(Location location);

    /** Appends a copy of a record to the active segment of {@code dir}, without touching the ledger. */
    Location appendCopy(int dir, StoredRecord record);

    /** Makes all appends so far durable. */
    void sync();

    /** Removes a segment with no live extents and deletes its file once readers are done. */
    void delete(Segment segment);
}
