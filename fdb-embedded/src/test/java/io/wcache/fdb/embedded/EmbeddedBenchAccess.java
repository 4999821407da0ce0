package io.wcache.fdb.embedded;

/** What the engine's benchmarks (another package) may reach of its internals. */
public final class EmbeddedBenchAccess {

    private EmbeddedBenchAccess() {
    }

    /** Flushes both memtables now: the WAL files written before become obsolete and reusable. */
    public static void flushMemtables(EmbeddedDatabase db) {
        db.store().flushMemtables();
    }
}
