package io.wcache.fdb.embedded;

import com.apple.foundationdb.MutationType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A transaction's uncommitted writes, kept twice: as the ordered mutation log the committer replays, and
 * as a per-key overlay that reads consult for read-your-writes. Cleared ranges are kept as disjoint
 * intervals; a key written after a clear has its own overlay entry, which takes precedence. Not
 * thread-safe: a transaction is used by one logical client at a time.
 */
final class TransactionWrites {
    /** What the overlay knows about one key. */
    sealed interface Entry {
    }

    /** The key holds this value. */
    record Value(byte[] value) implements Entry {
    }

    /** The key is cleared. */
    record Cleared() implements Entry {
    }

    /** Atomic operations on a base value only the database knows. */
    record Pending(List<Mutation.Atomic> ops) implements Entry {
    }

    /** The key's value is a versionstamp not known until commit; reading it is an error. */
    record Unreadable() implements Entry {
    }

    static final Cleared CLEARED = new Cleared();
    static final Unreadable UNREADABLE = new Unreadable();

    final NavigableMap<byte[], Entry> entries = new TreeMap<>(Keys.ORDER);
    /** Disjoint cleared intervals, begin to end. */
    final NavigableMap<byte[], byte[]> clearedRanges = new TreeMap<>(Keys.ORDER);
    final List<Mutation> log = new ArrayList<>();
    long size;

    boolean isEmpty() {
        return log.isEmpty();
    }

    void set(byte[] key, byte[] value) {
        log.add(new Mutation.Set(key, value));
        size += key.length + value.length;
        entries.put(key, new Value(value));
    }

    void clear(byte[] key) {
        log.add(new Mutation.Clear(key));
        size += key.length;
        entries.put(key, CLEARED);
    }

    void clearRange(byte[] begin, byte[] end) {
        if (Keys.compare(begin, end) >= 0) {
            return;
        }
        log.add(new Mutation.ClearRange(begin, end));
        size += begin.length + end.length;
        entries.subMap(begin, true, end, false).clear();
        byte[] newBegin = begin;
        byte[] newEnd = end;
        Map.Entry<byte[], byte[]> before = clearedRanges.floorEntry(begin);
        if (before != null && Keys.compare(before.getValue(), begin) >= 0) {
            newBegin = before.getKey();
            newEnd = Keys.max(newEnd, before.getValue());
        }
        // Absorb every interval that starts inside the new one.
        NavigableMap<byte[], byte[]> inside = clearedRanges.subMap(newBegin, true, newEnd, true);
        for (byte[] e : inside.values()) {
            newEnd = Keys.max(newEnd, e);
        }
        inside.clear();
        clearedRanges.put(newBegin, newEnd);
    }

    void atomic(MutationType type, byte[] key, byte[] param) {
        Mutation.Atomic op = new Mutation.Atomic(type, key, param);
        log.add(op);
        size += key.length + param.length;
        if (type == MutationType.SET_VERSIONSTAMPED_VALUE) {
            entries.put(key, UNREADABLE);
            return;
        }
        if (type == MutationType.SET_VERSIONSTAMPED_KEY) {
            // The key is unknown until commit; reads of the written range simply do not see it.
            return;
        }
        Entry current = entries.get(key);
        if (current == null && isClearedByRange(key)) {
            current = CLEARED;
        }
        if (current instanceof Value v) {
            entries.put(key, valueEntry(AtomicMutations.apply(type, v.value(), param)));
        } else if (current instanceof Cleared) {
            entries.put(key, valueEntry(AtomicMutations.apply(type, null, param)));
        } else if (current instanceof Pending p) {
            List<Mutation.Atomic> ops = new ArrayList<>(p.ops());
            ops.add(op);
            entries.put(key, new Pending(List.copyOf(ops)));
        } else if (current instanceof Unreadable) {
            entries.put(key, UNREADABLE);
        } else {
            entries.put(key, new Pending(List.of(op)));
        }
    }

    private static Entry valueEntry(byte[] value) {
        return value == null ? CLEARED : new Value(value);
    }

    boolean isClearedByRange(byte[] key) {
        Map.Entry<byte[], byte[]> range = clearedRanges.floorEntry(key);
        return range != null && Keys.compare(key, range.getValue()) < 0;
    }

    /** The cleared interval containing {@code key}, or null. */
    Map.Entry<byte[], byte[]> clearedRangeAt(byte[] key) {
        Map.Entry<byte[], byte[]> range = clearedRanges.floorEntry(key);
        return range != null && Keys.compare(key, range.getValue()) < 0 ? range : null;
    }

    static byte[] applyPending(byte[] base, List<Mutation.Atomic> ops) {
        byte[] value = base;
        for (Mutation.Atomic op : ops) {
            value = AtomicMutations.apply(op.type(), value, op.param());
        }
        return value;
    }
}
