package io.wcache.fuse;

/**
 * A refusal decided by the FUSE layer itself (write-once, rename, link, non-sequential write),
 * carrying the errno the application gets and the reason, which is logged at DEBUG. It never
 * leaves this module: every callback turns it into its negative return value.
 */
final class FuseErrno extends RuntimeException {

    private final int errno;

    FuseErrno(int errno, String reason) {
        super(reason, null, false, false);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
