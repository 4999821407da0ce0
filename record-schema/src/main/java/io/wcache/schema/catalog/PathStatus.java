package io.wcache.schema.catalog;

/**
 * What metadata knows about a path, read in one transaction, for a read that must decide between
 * the cache, a 404 and the UFS: a committed version with its extents, a pending delete (the UFS
 * object, if any, must stay hidden), or nothing (the path may exist only in the UFS).
 */
public sealed interface PathStatus {

    record Live(FileLayout layout) implements PathStatus {
    }

    record Deleted(Tombstone tombstone) implements PathStatus {
    }

    /** Nothing about the path is cached: neither a version nor a pending delete. */
    record NotCached() implements PathStatus {
    }
}
