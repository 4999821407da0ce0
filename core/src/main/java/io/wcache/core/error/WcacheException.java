package io.wcache.core.error;

import java.time.Duration;
import java.util.Objects;

/**
 * The closed set of failures wcache reports to its frontends. Each failure names the
 * subject it concerns (a namespace path, a key, a directory) so that the S3 frontend and the
 * FUSE frontend can map it to one S3 error code and one errno, each through a single table
 * keyed by {@link #kind()}.
 */
public abstract sealed class WcacheException extends RuntimeException
        permits WcacheException.NotFound,
                WcacheException.AlreadyExists,
                WcacheException.ReadOnly,
                WcacheException.OutOfSpace,
                WcacheException.InvalidArgument,
                WcacheException.Conflict,
                WcacheException.Unavailable,
                WcacheException.Corruption {

    private final ErrorKind kind;
    private final String subject;

    private WcacheException(ErrorKind kind, String subject, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.subject = subject;
    }

    /** Which of the closed set of failures this is; frontends switch on it. */
    public ErrorKind kind() {
        return kind;
    }

    /** The path, key or resource the failure concerns; may be {@code null} when there is none. */
    public String subject() {
        return subject;
    }

    /** A path, object or record that does not exist. */
    public static final class NotFound extends WcacheException {
        public NotFound(String subject, String message) {
            super(ErrorKind.NOT_FOUND, subject, message, null);
        }
    }

    /** A create that requires absence met an existing path or record. */
    public static final class AlreadyExists extends WcacheException {
        public AlreadyExists(String subject, String message) {
            super(ErrorKind.ALREADY_EXISTS, subject, message, null);
        }
    }

    /** A write or delete refused because the path is {@code READ_ONLY} or otherwise immutable. */
    public static final class ReadOnly extends WcacheException {
        public ReadOnly(String subject, String message) {
            super(ErrorKind.READ_ONLY, subject, message, null);
        }
    }

    /**
     * A write refused because it would push pinned (unpersisted) data past its cap or the
     * cache has no room. Nothing already written is harmed; the caller may retry after
     * {@link #retryAfter()}.
     */
    public static final class OutOfSpace extends WcacheException {
        private final Duration retryAfter;

        public OutOfSpace(String subject, String message, Duration retryAfter) {
            super(ErrorKind.OUT_OF_SPACE, subject, message, null);
            this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
        }

        /** A hint for how long a client should wait before retrying. */
        public Duration retryAfter() {
            return retryAfter;
        }

        /**
         * Whether {@code e} is the file system running out of space or quota ({@code ENOSPC},
         * {@code EDQUOT}); the JDK reports both only through the message.
         */
        public static boolean isFileSystemFull(java.io.IOException e) {
            String msg = e.getMessage();
            return msg != null && (msg.contains("No space left on device") || msg.contains("Disk quota exceeded"));
        }
    }

    /**
     * A request whose arguments are malformed: a bad path, a bad configuration value, an
     * out-of-range offset. {@link InvalidPath} is the case for namespace paths.
     */
    public static sealed class InvalidArgument extends WcacheException permits InvalidPath {
        public InvalidArgument(String subject, String message) {
            super(ErrorKind.INVALID_ARGUMENT, subject, message, null);
        }

        public InvalidArgument(String subject, String message, Throwable cause) {
            super(ErrorKind.INVALID_ARGUMENT, subject, message, cause);
        }

        InvalidArgument(ErrorKind kind, String subject, String message) {
            super(kind, subject, message, null);
        }
    }

    /** A namespace path that is not valid; it is never normalised into another path. */
    public static final class InvalidPath extends InvalidArgument {
        public InvalidPath(String path, String message) {
            super(ErrorKind.INVALID_PATH, path, message);
        }
    }

    /** A concurrent change won: a precondition (generation, ETag, state) no longer holds. */
    public static final class Conflict extends WcacheException {
        public Conflict(String subject, String message) {
            super(ErrorKind.CONFLICT, subject, message, null);
        }
    }

    /** A dependency (the UFS, the metadata engine, a disk) cannot serve the request now; retrying later may work. */
    public static final class Unavailable extends WcacheException {
        public Unavailable(String subject, String message, Throwable cause) {
            super(ErrorKind.UNAVAILABLE, subject, message, cause);
        }
    }

    /** Stored bytes failed their checksum or framing check; they are never returned as data. */
    public static final class Corruption extends WcacheException {
        public Corruption(String subject, String message) {
            super(ErrorKind.CORRUPTION, subject, message, null);
        }
    }
}
