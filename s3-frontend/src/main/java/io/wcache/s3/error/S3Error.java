package io.wcache.s3.error;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One S3 error response: the code (with its HTTP status), a human message, the resource it
 * concerns (a {@code /bucket/key} path, written into {@code <Resource>}) and, for throttling
 * errors, how long the client should wait ({@code Retry-After}), and any other headers the response
 * carries (a delete marker's {@code x-amz-delete-marker} and {@code x-amz-version-id}).
 */
public record S3Error(S3ErrorCode code, String message, String resource, Optional<Duration> retryAfter,
                      java.util.Map<String, String> headers) {

    /** An error without headers of its own. */
    public S3Error(S3ErrorCode code, String message, String resource, Optional<Duration> retryAfter) {
        this(code, message, resource, retryAfter, java.util.Map.of());
    }

    /** The same error with one more response header (such as {@code x-amz-delete-marker}). */
    public S3Error withHeader(String name, String value) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new S3Error(code, message, resource, retryAfter, h);
    }

    public S3Error {
        headers = headers == null ? java.util.Map.of() : java.util.Map.copyOf(headers);
        Objects.requireNonNull(code, "code");
        message = message == null || message.isEmpty() ? code.defaultMessage() : message;
        resource = resource == null ? "" : resource;
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** An error with S3's default message and no resource. */
    public static S3Error of(S3ErrorCode code) {
        return new S3Error(code, null, null, Optional.empty());
    }

    /** An error with a specific message and no resource. */
    public static S3Error of(S3ErrorCode code, String message) {
        return new S3Error(code, message, null, Optional.empty());
    }

    /** An error with a specific message about a resource. */
    public static S3Error of(S3ErrorCode code, String message, String resource) {
        return new S3Error(code, message, resource, Optional.empty());
    }

    /** The HTTP status of the response. */
    public int httpStatus() {
        return code.httpStatus();
    }

    /** This error as a throwable, for code paths that unwind on failure. */
    public S3Exception toException() {
        return new S3Exception(this);
    }

    /** The same error about another resource. */
    public S3Error withResource(String newResource) {
        return new S3Error(code, message, newResource, retryAfter, headers);
    }
}
