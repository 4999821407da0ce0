package io.wcache.fuse;

import io.wcache.core.error.ErrorKind;
import io.wcache.core.error.FailureCause;
import io.wcache.core.error.WcacheException;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The FUSE frontend's one table from core's {@link ErrorKind} to an errno. The switch is
 * exhaustive, so a new error kind does not compile until this table decides how FUSE reports it;
 * the S3 frontend has the matching table for S3 error codes.
 */
public final class ErrnoTable {

    private ErrnoTable() {
    }

    /** The (positive) errno reported for a failure of {@code kind}. */
    public static int errno(ErrorKind kind) {
        return switch (kind) {
            case NOT_FOUND -> ErrorCodes.ENOENT();
            case ALREADY_EXISTS -> ErrorCodes.EEXIST();
            case READ_ONLY -> ErrorCodes.EROFS();
            case OUT_OF_SPACE -> ErrorCodes.ENOSPC();
            case INVALID_ARGUMENT -> ErrorCodes.EINVAL();
            case INVALID_PATH -> ErrorCodes.EINVAL();
            // a concurrent change won (generation/state precondition): the caller may retry
            case CONFLICT -> ErrorCodes.EBUSY();
            case UNAVAILABLE -> ErrorCodes.EIO();
            case CORRUPTION -> ErrorCodes.EIO();
        };
    }

    /**
     * The (positive) errno for any failure reaching a FUSE callback: a {@link FuseErrno} keeps
     * its own, a {@link WcacheException} (also when wrapped by a future) goes through the table,
     * anything else is {@code EIO}.
     */
    public static int errno(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof FuseErrno e) {
            return e.errno();
        }
        if (t instanceof WcacheException e) {
            return errno(e.kind());
        }
        return ErrorCodes.EIO();
    }

    /** Strips the wrappers futures put around the real failure. */
    static Throwable unwrap(Throwable failure) {
        return FailureCause.of(failure);
    }

    /** The symbolic name of an errno ({@code ENOENT}), for metrics tags and logs. */
    public static String name(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == null || e == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__ ? "E" + errno : e.name();
    }
}
