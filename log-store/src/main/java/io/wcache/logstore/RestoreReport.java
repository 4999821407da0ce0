package io.wcache.logstore;

import java.util.List;

/**
 * The result of {@link LogStore#restore}: how many extents became live again and which locations
 * the store could not find (a segment gone, or a record cut off by recovery). The worker rolls back
 * index entries for missing locations; such writes were never acknowledged.
 */
public record RestoreReport(int restored, List<Location> missing) {
    public RestoreReport {
        missing = List.copyOf(missing);
    }
}
