package io.wcache.logstore.recovery;

import java.nio.file.Path;
import java.util.List;

/**
 * What opening the store found in each segment file: trusted as sealed, scanned clean, truncated
 * at a torn or corrupt record (with the bytes dropped), or set aside because its header is
 * unreadable. Nothing readable is ever wiped: unreadable files are renamed, not deleted.
 */
public record RecoveryReport(List<SegmentOutcome> segments) {

    public RecoveryReport {
        segments = List.copyOf(segments);
    }

    /** What happened to one segment file. */
    public enum Outcome {
        /** Ended with a valid seal record; not scanned. */
        SEALED,
        /** Scanned; every byte belonged to a valid record. */
        CLEAN,
        /** Cut at a record running past the end of the file. */
        TRUNCATED_TORN,
        /** Cut at a record failing its framing or CRC check. */
        TRUNCATED_CORRUPT,
        /** Shorter than a segment header: it never held a record; deleted. */
        DELETED_EMPTY,
        /** Header unreadable or naming another segment; renamed to {@code *.corrupt} and ignored. */
        QUARANTINED
    }

    /** One segment file's outcome: valid bytes kept, bytes dropped and data records kept. */
    public record SegmentOutcome(int dir, long segmentId, Path path, Outcome outcome, long validEnd,
                                 long droppedBytes, int records) {
    }

    /** Bytes cut off across all segments (truncated tails and set-aside files). */
    public long droppedBytes() {
        return segments.stream().mapToLong(SegmentOutcome::droppedBytes).sum();
    }

    /** Segments whose contents were changed or set aside. */
    public List<SegmentOutcome> damaged() {
        return segments.stream().filter(s -> s.droppedBytes() > 0).toList();
    }
}
