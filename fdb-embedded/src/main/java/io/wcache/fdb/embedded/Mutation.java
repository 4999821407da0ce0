package io.wcache.fdb.embedded;

import com.apple.foundationdb.MutationType;

/**
 * One write of a transaction, in the order the client issued it; the committer replays these against the
 * committed state. {@code operand} is the value, the range end, or the atomic parameter by kind.
 */
sealed interface Mutation {
    byte[] key();

    /** Sets {@code key} to {@code value}. */
    record Set(byte[] key, byte[] value) implements Mutation {
    }

    /** Clears one key. */
    record Clear(byte[] key) implements Mutation {
    }

    /** Clears {@code [key, end)}. */
    record ClearRange(byte[] key, byte[] end) implements Mutation {
    }

    /** An atomic operation, including the two versionstamp substitutions. */
    record Atomic(MutationType type, byte[] key, byte[] param) implements Mutation {
    }

    default long size() {
        if (this instanceof Set s) {
            return s.key.length + s.value.length;
        }
        if (this instanceof ClearRange r) {
            return r.key.length + r.end.length;
        }
        if (this instanceof Atomic a) {
            return a.key.length + a.param.length;
        }
        return key().length;
    }
}
