package io.wcache.core.error;

/**
 * The kinds of {@link WcacheException}; the S3 error table and the errno table are each
 * keyed by this enum, so a new kind cannot be added without deciding how both frontends
 * report it.
 */
public enum ErrorKind {
    NOT_FOUND,
    ALREADY_EXISTS,
    READ_ONLY,
    OUT_OF_SPACE,
    INVALID_ARGUMENT,
    INVALID_PATH,
    CONFLICT,
    UNAVAILABLE,
    CORRUPTION
}
