package io.wcache.worker.admin;

import io.wcache.core.error.WcacheException;

/**
 * The admin API's error body, {@code {"error": code, "message": ..., "hint": ...}}, and its HTTP
 * status: the one table from core's error kinds to admin responses. {@code hint} says what the
 * operator can do next.
 */
public record AdminError(int status, String error, String message, String hint) {

    /** Maps any failure of an admin operation to a response; unknown failures are 500s. */
    public static AdminError of(Throwable t) {
        Throwable e = io.wcache.worker.cache.WorkerCacheService.unwrap(t);
        if (e instanceof AdminException a) {
            return a.error();
        }
        if (e instanceof WcacheException w) {
            return switch (w.kind()) {
                case NOT_FOUND -> new AdminError(404, "NOT_FOUND", w.getMessage(),
                        "check the path with `wcadm fs ls` or the mounts with `wcadm mount list`");
                case ALREADY_EXISTS -> new AdminError(409, "ALREADY_EXISTS", w.getMessage(),
                        "remove it first, or pick another name");
                case READ_ONLY -> new AdminError(409, "READ_ONLY", w.getMessage(),
                        "the path's policy is READ_ONLY: change it with `wcadm pathconfig set`");
                case OUT_OF_SPACE -> new AdminError(503, "OUT_OF_SPACE", w.getMessage(),
                        "wait for uploads (`wcadm async-persist stat`) or free space with `wcadm fs free`");
                case INVALID_ARGUMENT -> new AdminError(400, "INVALID_ARGUMENT", w.getMessage(),
                        "fix the argument and retry");
                case INVALID_PATH -> new AdminError(400, "INVALID_PATH", w.getMessage(),
                        "paths are absolute, /<mount>/<key>, e.g. /demo/dir/file");
                case CONFLICT -> new AdminError(409, "CONFLICT", w.getMessage(), "retry the command");
                case UNAVAILABLE -> new AdminError(503, "UNAVAILABLE", w.getMessage(),
                        "the object store or metadata is unreachable: check the worker log, then retry");
                case CORRUPTION -> new AdminError(500, "CORRUPTION", w.getMessage(),
                        "the worker log names the damaged data; the object store copy is unaffected if persisted");
            };
        }
        return new AdminError(500, "INTERNAL", String.valueOf(e),
                "see the worker log for the stack trace");
    }

    /** A failure raised by the admin layer itself (bad request, missing token, unknown route). */
    public static final class AdminException extends RuntimeException {
        private final AdminError error;

        public AdminException(int status, String code, String message, String hint) {
            super(message);
            this.error = new AdminError(status, code, message, hint);
        }

        public AdminError error() {
            return error;
        }
    }

    static AdminException badRequest(String message, String hint) {
        return new AdminException(400, "INVALID_ARGUMENT", message, hint);
    }
}
