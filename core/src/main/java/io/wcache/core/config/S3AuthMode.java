package io.wcache.core.config;

/**
 * How the S3 frontend authenticates requests: {@code sigv4} checks signatures against
 * {@code s3.credentials}; {@code none} accepts any or no signature and is meant for local use
 * only.
 */
public enum S3AuthMode {
    SIGV4,
    NONE
}
