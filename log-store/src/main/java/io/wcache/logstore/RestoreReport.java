package io.wcache.logstore;

import java.util.List;

/**
 * The result of {@link LogStore#restore}: how many extents became live again, which locations
 * are {@code missing} (in the segment being appended to when the store stopped, past what survived
 * there: cut with a torn tail) and which are {@code damaged} (anything else that does not hold an
 * intact record: a CRC or framing failure, a segment gone or set aside). Neither kind is made
 * live. A record that was synced can only be missing if the disk lost synced bytes; the caller
 * knows whether a location's record had been synced.
 */
public record RestoreReport(int restored, List<Location> missing, List<Location> damaged) {
    public RestoreReport {
        missing = List.copyOf(missing);
        damaged = List.copyOf(damaged);
    }

    public RestoreReport(int restored, List<Location> missing) {
        this(restored, missing, List.of());
    }
}
