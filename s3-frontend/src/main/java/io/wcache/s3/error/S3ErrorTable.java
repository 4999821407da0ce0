package io.wcache.s3.error;

import io.wcache.core.error.ErrorKind;
import io.wcache.core.error.WcacheException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The one table that maps core's {@link ErrorKind} to S3 errors. It is an exhaustive switch
 * over the enum, so adding a kind to core fails compilation here until someone decides how S3
 * clients see it.
 */
public final class S3ErrorTable {
    /** S3's limit on the UTF-8 length of an object key. */
    public static final int MAX_KEY_BYTES = 1024;

    private S3ErrorTable() {
    }

    /**
     * The S3 error for a core failure.
     *
     * @param e        the failure
     * @param context  what the operation was about
     * @param resource the request resource ({@code /bucket/key}) for the {@code <Resource>} element
     */
    static final String CORRUPTION_MESSAGE = "The stored bytes of this object failed their checksum and are not"
            + " served. A version not yet persisted to the object store is shown as DAMAGED by 'wcadm fs stat' until"
            + " it is deleted or overwritten.";

    public static S3Error toS3(WcacheException e, ErrorContext context, String resource) {
        // Core messages may name UFS roots or cache directories: those never reach a client.
        String message = ServerPaths.redact(e.getMessage(), resource);
        return switch (e.kind()) {
            case NOT_FOUND -> S3Error.of(isBucketPath(e.subject()) ? S3ErrorCode.NO_SUCH_BUCKET : switch (context) {
                case BUCKET -> S3ErrorCode.NO_SUCH_BUCKET;
                case OBJECT, CONDITIONAL_OBJECT -> S3ErrorCode.NO_SUCH_KEY;
                case MULTIPART_UPLOAD -> S3ErrorCode.NO_SUCH_UPLOAD;
            }, null, resource);
            case ALREADY_EXISTS -> context == ErrorContext.BUCKET
                    ? S3Error.of(S3ErrorCode.BUCKET_ALREADY_OWNED_BY_YOU, null, resource)
                    : S3Error.of(S3ErrorCode.PRECONDITION_FAILED, null, resource);
            case READ_ONLY -> S3Error.of(S3ErrorCode.ACCESS_DENIED, message, resource);
            case OUT_OF_SPACE -> new S3Error(S3ErrorCode.SLOW_DOWN, null, resource,
                    Optional.of(((WcacheException.OutOfSpace) e).retryAfter()));
            case INVALID_ARGUMENT -> S3Error.of(context == ErrorContext.BUCKET
                    ? S3ErrorCode.INVALID_BUCKET_NAME : S3ErrorCode.INVALID_ARGUMENT, message, resource);
            case INVALID_PATH -> S3Error.of(invalidPathCode(e, context), message, resource);
            case CONFLICT -> S3Error.of(switch (context) {
                case BUCKET -> S3ErrorCode.BUCKET_NOT_EMPTY;
                case CONDITIONAL_OBJECT -> S3ErrorCode.PRECONDITION_FAILED;
                case OBJECT, MULTIPART_UPLOAD -> S3ErrorCode.CONDITIONAL_REQUEST_CONFLICT;
            }, null, resource);
            // The message says what is unavailable (the UFS, or the worker that alone holds the object).
            case UNAVAILABLE -> S3Error.of(S3ErrorCode.SERVICE_UNAVAILABLE, message, resource);
            // Never echo corruption details (internal paths, segment ids) to clients; say what it is.
            case CORRUPTION -> S3Error.of(S3ErrorCode.INTERNAL_ERROR, CORRUPTION_MESSAGE, resource);
        };
    }

    /**
     * Whether a core subject names a bucket itself: a one-segment namespace path ({@code /name}),
     * as when an object operation finds no mount for its bucket.
     */
    private static boolean isBucketPath(String subject) {
        if (subject == null || !subject.startsWith("/") || subject.length() < 2) {
            return false;
        }
        int slash = subject.indexOf('/', 1);
        return slash < 0 || slash == subject.length() - 1;
    }

    private static S3ErrorCode invalidPathCode(WcacheException e, ErrorContext context) {
        if (context == ErrorContext.BUCKET) {
            return S3ErrorCode.INVALID_BUCKET_NAME;
        }
        String subject = e.subject();
        if (subject != null && subject.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            return S3ErrorCode.KEY_TOO_LONG;
        }
        return S3ErrorCode.INVALID_ARGUMENT;
    }
}
