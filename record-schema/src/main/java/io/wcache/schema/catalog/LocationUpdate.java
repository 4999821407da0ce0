package io.wcache.schema.catalog;

/**
 * What a location-addressed extent update ({@link Catalog#relocateExtent}, {@link Catalog#dropExtent})
 * did: {@code APPLIED} (the extent now names the copy, or is gone), {@code UNREFERENCED} (no extent
 * names that location: its bytes are dead to the Catalog) or {@code REFUSED} (an extent names it,
 * but its file's bytes are not known to be in the UFS, so it may not be dropped).
 */
public enum LocationUpdate {
    APPLIED,
    UNREFERENCED,
    REFUSED
}
