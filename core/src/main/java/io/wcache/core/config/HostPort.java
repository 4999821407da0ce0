package io.wcache.core.config;

import io.wcache.core.error.WcacheException;

/**
 * A listen or connect address, {@code host:port}; IPv6 hosts are written in brackets
 * ({@code [::1]:9000}). Port 0 asks for an ephemeral port.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** @throws WcacheException.InvalidArgument naming {@code key} and {@code value} */
    public static HostPort parse(String key, String value) {
        String v = value == null ? "" : value.trim();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw bad(key, value);
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw bad(key, value);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw bad(key, value);
        }
        if (host.isEmpty() || port < 0 || port > 65535) {
            throw bad(key, value);
        }
        return new HostPort(host, port);
    }

    private static WcacheException.InvalidArgument bad(String key, String value) {
        return new WcacheException.InvalidArgument(key, "config key '" + key + "': '" + value
                + "' is not an address (host:port, e.g. 127.0.0.1:9000 or [::1]:9000)");
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
