package io.wcache.schema.catalog;

import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.tuple.Tuple;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The raw counters beside the record store, within one transaction: each worker's pinned and
 * evictable bytes, and the configuration version. They change only through atomic adds, so hot
 * counters never cause conflicts.
 */
final class SpaceCounters {

    private static final Tuple CONFIG_VERSION = Tuple.from("configVersion");

    private final Tx t;

    SpaceCounters(Tx t) {
        this.t = t;
    }

    long read(String worker, String region) {
        return read(key(worker, region));
    }

    long configVersion() {
        return read(CONFIG_VERSION);
    }

    void bumpConfigVersion() {
        add(CONFIG_VERSION, 1);
    }

    void add(String worker, long pinnedDelta, long evictableDelta) {
        if (pinnedDelta != 0) {
            add(key(worker, "pinned"), pinnedDelta);
        }
        if (evictableDelta != 0) {
            add(key(worker, "evictable"), evictableDelta);
        }
    }

    /** Adds (sign +1) or removes (sign -1) a version's bytes from its holders' region counters. */
    void account(FileVersion f, int sign) {
        long bytes = sign * f.size();
        for (String w : f.holders()) {
            if (f.pinned()) {
                add(w, bytes, 0);
            } else {
                add(w, 0, bytes);
            }
        }
    }

    private static Tuple key(String worker, String region) {
        return Tuple.from("space", worker, region);
    }

    private long read(Tuple key) {
        byte[] v = t.readCounterKey(key);
        return v == null ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private void add(Tuple key, long delta) {
        byte[] param = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(delta).array();
        t.ctx.ensureActive().mutate(MutationType.ADD, t.counters.pack(key), param);
    }
}
