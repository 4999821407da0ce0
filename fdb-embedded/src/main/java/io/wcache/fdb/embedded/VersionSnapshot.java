package io.wcache.fdb.embedded;

import org.rocksdb.RocksDB;
import org.rocksdb.Snapshot;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A RocksDB snapshot pinned at one committed version, shared by every read at that version. It is
 * reference counted: the store holds one reference until the version leaves the MVCC window, each read
 * holds one while it touches RocksDB, and the native snapshot is released when the count reaches zero,
 * so a read never uses a released snapshot.
 */
final class VersionSnapshot {
    final long version;
    private final RocksDB db;
    private final Snapshot snapshot;
    /** 1 for the store's reference plus one per read in progress; 0 once released. */
    private final AtomicInteger references = new AtomicInteger(1);
    /** When a newer version superseded this one (nanoTime), or 0 while it is the newest. */
    volatile long supersededAtNanos;

    VersionSnapshot(long version, RocksDB db, Snapshot snapshot) {
        this.version = version;
        this.db = db;
        this.snapshot = snapshot;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /** Takes a read reference; false when the snapshot has already been released. */
    boolean acquire() {
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Whether every reference, including the store's, has been given back and the snapshot released. */
    boolean isReleased() {
        return references.get() == 0;
    }

    void release() {
        if (references.decrementAndGet() == 0) {
            db.releaseSnapshot(snapshot);
        }
    }
}
