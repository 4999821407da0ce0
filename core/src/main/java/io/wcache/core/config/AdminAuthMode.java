package io.wcache.core.config;

/**
 * How the admin API authenticates requests: {@code token} requires a bearer token on every route
 * but {@code /metrics} and {@code /health}; {@code none} accepts anyone who can reach the port, is
 * meant for local experiments only, and is refused on an address other than loopback.
 */
public enum AdminAuthMode {
    TOKEN,
    NONE
}
