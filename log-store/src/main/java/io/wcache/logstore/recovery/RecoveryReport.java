package io.wcache.logstore.recovery;

import io.wcache.logstore.segment.SegmentScanner.DamagedRange;
import java.nio.file.Path;
import java.util.List;

/**
 * What opening the store found in each segment file: trusted as sealed, scanned clean, scanned
 * with damaged records skipped (kept on disk and listed, the records after them live), cut at a
 * torn tail, or set aside because it is not a segment this store can read. Nothing readable is
 * ever wiped: unreadable files are renamed, not deleted, and a damaged record in the middle of a
 * segment is never a reason to drop the records after it.
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
        /**
         * Scanned; some records failed their CRC or framing check. They were skipped and are listed
         * in {@link SegmentOutcome#damagedRanges()}; every valid record before and after them is kept.
         */
        DAMAGED_RECORDS_SKIPPED,
        /**
         * The segment header failed its check but the records behind it are in the current format:
         * the header was rewritten from the file name and the records were scanned (damaged ones skipped).
         */
        HEADER_REPAIRED,
        /** Cut at a record running past the end of the file (a write cut short). */
        TRUNCATED_TORN,
        /** A format version 1 segment cut at a record failing its framing or CRC check (no resync in that format). */
        TRUNCATED_CORRUPT,
        /** Shorter than a segment header: it never held a record; deleted. */
        DELETED_EMPTY,
        /** Not a segment this store can read; renamed to {@code *.corrupt} and ignored. */
        QUARANTINED
    }

    /**
     * One segment file's outcome: valid bytes kept, bytes cut off, data records kept and the damaged
     * ranges that were skipped but kept on disk.
     */
    public record SegmentOutcome(int dir, long segmentId, Path path, Outcome outcome, long validEnd,
                                 long droppedBytes, int records, List<DamagedRange> damagedRanges) {
        public SegmentOutcome {
            damagedRanges = List.copyOf(damagedRanges);
        }

        public SegmentOutcome(int dir, long segmentId, Path path, Outcome outcome, long validEnd, long droppedBytes,
                              int records) {
            this(dir, segmentId, path, outcome, validEnd, droppedBytes, records, List.of());
        }
    }

    /** Bytes cut off across all segments (truncated tails and set-aside files). */
    public long droppedBytes() {
        return segments.stream().mapToLong(SegmentOutcome::droppedBytes).sum();
    }

    /** Damaged records skipped (kept on disk) across all segments. */
    public int damagedRecords() {
        return segments.stream().mapToInt(s -> s.damagedRanges().size()).sum();
    }

    /** Segments whose contents were changed, set aside or found damaged. */
    public List<SegmentOutcome> damaged() {
        return segments.stream().filter(s -> s.droppedBytes() > 0 || !s.damagedRanges().isEmpty()
                || s.outcome() == Outcome.HEADER_REPAIRED).toList();
    }
}
