package io.wcache.fdb.embedded;

import com.apple.foundationdb.FDBError;
import com.apple.foundationdb.FDBException;

/**
 * The only exception type the embedded engine throws for FoundationDB errors. It carries FoundationDB's
 * own error codes and answers {@link #isRetryable()}, {@link #isMaybeCommitted()} and
 * {@link #isRetryableNotCommitted()} from a fixed table, because the base class asks libfdb_c, which is
 * not loaded in embedded mode.
 */
public class EmbeddedFdbException extends FDBException {
    private static final long serialVersionUID = 1L;

    public EmbeddedFdbException(String message, int code) {
        super(message, code);
    }

    /** An exception for {@code error} with FoundationDB's message text. */
    public static EmbeddedFdbException of(FDBError error) {
        return new EmbeddedFdbException(describe(error), error.code());
    }

    /** An exception for {@code error} with extra context appended to FoundationDB's message text. */
    public static EmbeddedFdbException of(FDBError error, String detail) {
        return new EmbeddedFdbException(describe(error) + ": " + detail, error.code());
    }

    /**
     * An error handed to a future that nobody may be waiting on (a closed transaction's watches and
     * versionstamp, a read-only commit's versionstamp), made without a stack trace: filling one in
     * through the Record Layer's deep call stacks cost more CPU than the transaction it ends, and
     * every transaction ends with one.
     */
    static EmbeddedFdbException outcome(FDBError error) {
        return new Outcome(describe(error), error.code());
    }

    private static final class Outcome extends EmbeddedFdbException {
        private static final long serialVersionUID = 1L;

        Outcome(String message, int code) {
            super(message, code);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static String describe(FDBError error) {
        return error.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public boolean isRetryable() {
        return isMaybeCommitted() || isRetryableNotCommitted();
    }

    @Override
    public boolean isMaybeCommitted() {
        return isMaybeCommitted(getCode());
    }

    @Override
    public boolean isRetryableNotCommitted() {
        return isRetryableNotCommitted(getCode());
    }

    @Override
    public Exception retargetClone() {
        EmbeddedFdbException clone = new EmbeddedFdbException(getMessage(), getCode());
        clone.setStackTrace(getStackTrace());
        return clone;
    }

    /** FoundationDB's {@code maybe_committed} predicate. */
    static boolean isMaybeCommitted(int code) {
        return code == 1021 || code == 1039;
    }

    /** FoundationDB's {@code retryable_not_committed} predicate. */
    static boolean isRetryableNotCommitted(int code) {
        return switch (code) {
            case 1007, 1009, 1020, 1037, 1038, 1042, 1051, 1078, 1213 -> true;
            default -> false;
        };
    }
}
