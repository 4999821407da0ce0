package io.wcache.s3.error;

/**
 * The typed protocol failure of the S3 layer: every parser, verifier and decoder in this
 * module reports bad input only through this exception, carrying the exact {@link S3Error}
 * the client will receive. It has no stack trace: it is an expected outcome of bad input, not
 * a bug, and may be thrown once per rejected request.
 */
public final class S3Exception extends RuntimeException {
    private final S3Error error;

    public S3Exception(S3Error error) {
        super(error.code().code() + ": " + error.message(), null, false, false);
        this.error = error;
    }

    public S3Exception(S3ErrorCode code, String message) {
        this(S3Error.of(code, message));
    }

    /** The error document to send. */
    public S3Error error() {
        return error;
    }

    /** Shorthand for {@code error().code()}. */
    public S3ErrorCode code() {
        return error.code();
    }
}
