package io.wcache.worker.admin;

import com.sun.net.httpserver.Headers;
import io.wcache.worker.admin.AdminError.AdminException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks every admin request passes before it reaches a route, in this order: the
 * {@code Host} names this server (DNS rebinding), the request is not cross-site ({@code Origin},
 * {@code Sec-Fetch-Site}), the bearer token (except {@code /metrics} and {@code /health}), and a
 * changing request carries JSON or nothing. Together they keep a web page the operator visits
 * from reading or changing anything: a browser cannot add the token, cannot hide its
 * {@code Origin}, and cannot send {@code application/json} cross-site without a preflight this
 * server never approves. Immutable; one per server.
 */
final class AdminGuard {

    /** Routes anyone who reaches the port may read: no secrets, no changes. */
    static final Set<String> OPEN_ROUTES = Set.of("/metrics", "/health");
    /** The largest request body the admin API reads (a path-config document is a few KiB). */
    static final int MAX_BODY_BYTES = 1 << 20;

    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "localhost.localdomain", "ip6-localhost",
            "ip6-loopback");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Set<String> CHANGING = Set.of("POST", "PUT", "DELETE", "PATCH");

    private final byte[] token;
    private final Set<String> hostNames;
    private final Set<InetAddress> hostAddresses;
    private final boolean anyHost;

    private AdminGuard(String token, Set<String> hostNames, Set<InetAddress> hostAddresses, boolean anyHost) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.hostNames = Set.copyOf(hostNames);
        this.hostAddresses = Set.copyOf(hostAddresses);
        this.anyHost = anyHost;
    }

    /**
     * @param token        the bearer token, or null when {@code admin.auth: none}
     * @param boundHost    the host of {@code admin.address}
     * @param extraHosts   {@code admin.allowed.hosts}, comma-separated ({@code *}: no Host check)
     */
    static AdminGuard of(String token, String boundHost, String extraHosts) {
        Set<String> names = new HashSet<>(LOOPBACK_NAMES);
        Set<InetAddress> addresses = new HashSet<>();
        boolean any = false;
        addHost(boundHost, names, addresses);
        for (String h : extraHosts == null ? new String[0] : extraHosts.split(",")) {
            String t = h.trim();
            if (t.equals("*")) {
                any = true;
            } else if (!t.isEmpty()) {
                addHost(t, names, addresses);
            }
        }
        InetAddress bound = literal(normalize(boundHost));
        if (bound != null && bound.isAnyLocalAddress()) {
            // Listening on every interface: the machine's own names and addresses name this server.
            try {
                InetAddress local = InetAddress.getLocalHost();
                names.add(normalize(local.getHostName()));
                names.add(normalize(local.getCanonicalHostName()));
            } catch (UnknownHostException e) {
                // no resolvable host name: addresses and admin.allowed.hosts still work
            }
            try {
                for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    addresses.addAll(Collections.list(ni.getInetAddresses()));
                }
            } catch (SocketException e) {
                // no interface list: loopback and admin.allowed.hosts still work
            }
        }
        return new AdminGuard(token, names, addresses, any);
    }

    private static void addHost(String host, Set<String> names, Set<InetAddress> addresses) {
        String h = normalize(host);
        InetAddress ip = literal(h);
        if (ip != null) {
            addresses.add(ip);
        } else {
            names.add(h);
        }
    }

    boolean requiresToken() {
        return token != null;
    }

    /** Throws the refusal of a request, or returns when it may proceed to its route. */
    void check(String method, String route, Headers headers) {
        String host = headers.getFirst("Host");
        // A request without Host is HTTP/1.0 from a tool, never from a browser.
        if (host != null && !allowedHost(hostOf(host))) {
            throw new AdminException(403, "HOST_NOT_ALLOWED", "the admin API does not answer to Host '"
                    + shorten(host) + "'", "use the worker's admin.address or a loopback name, or add the name to"
                    + " admin.allowed.hosts");
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && !sameOrigin(origin, host)) {
            throw new AdminException(403, "CROSS_ORIGIN", "cross-origin requests are refused (Origin '"
                    + shorten(origin) + "')", "the admin API is for wcadm, curl and scripts, not for other web pages");
        }
        String fetchSite = headers.getFirst("Sec-Fetch-Site");
        if (fetchSite != null && (fetchSite.equalsIgnoreCase("cross-site") || fetchSite.equalsIgnoreCase("same-site"))) {
            throw new AdminException(403, "CROSS_ORIGIN", "cross-site requests are refused (Sec-Fetch-Site "
                    + shorten(fetchSite) + ")", "the admin API is for wcadm, curl and scripts, not for other web pages");
        }
        if (token != null && !OPEN_ROUTES.contains(route) && !authorized(headers.getFirst("Authorization"))) {
            throw new AdminException(401, "UNAUTHORIZED", "missing or wrong bearer token",
                    "wcadm reads the token from --token, $WCADM_TOKEN, the file named by $WCADM_TOKEN_FILE, or"
                            + " ./data/admin.token; the worker keeps it in admin.token under its data.dir"
                            + " (or admin.token / WCACHE_ADMIN_TOKEN when set)");
        }
        if (CHANGING.contains(method)) {
            String type = headers.getFirst("Content-Type");
            boolean hasBody = headers.containsKey("Transfer-Encoding") || contentLength(headers) > 0;
            if ((type != null || hasBody) && !isJson(type)) {
                throw new AdminException(415, "UNSUPPORTED_MEDIA_TYPE", "a request body must be application/json, got "
                        + (type == null ? "none" : "'" + shorten(type) + "'"), "send JSON with Content-Type: application/json");
            }
            if (contentLength(headers) > MAX_BODY_BYTES) {
                throw tooLarge();
            }
        }
    }

    static AdminException tooLarge() {
        return new AdminException(413, "BODY_TOO_LARGE", "the request body is larger than " + MAX_BODY_BYTES + " bytes",
                "admin requests are small JSON documents; split the change");
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    boolean allowedHost(String host) {
        if (anyHost) {
            return true;
        }
        String h = normalize(host);
        if (h.isEmpty()) {
            return false;
        }
        InetAddress ip = literal(h);
        if (ip != null) {
            return ip.isLoopbackAddress() || hostAddresses.contains(ip);
        }
        return hostNames.contains(h);
    }

    /** The Origin is this server itself: same scheme-less authority as the Host it was sent to. */
    private boolean sameOrigin(String origin, String host) {
        if (host == null || origin.equals("null")) {
            return false;
        }
        try {
            URI o = new URI(origin.trim());
            if (o.getHost() == null || !("http".equals(o.getScheme()) || "https".equals(o.getScheme()))) {
                return false;
            }
            int port = o.getPort() != -1 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
            String h = host.trim();
            int hostPort = portOf(h, port);
            return normalize(o.getHost()).equals(normalize(hostOf(h))) && port == hostPort;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    /** The host part of a Host header value: {@code name}, {@code name:port}, {@code [v6]:port}. */
    static String hostOf(String hostHeader) {
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private static int portOf(String hostHeader, int dflt) {
        int close = hostHeader.lastIndexOf(']');
        int colon = hostHeader.lastIndexOf(':');
        if (colon <= close) {
            return dflt;
        }
        try {
            return Integer.parseInt(hostHeader.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** The address an IP literal stands for, or null for a name (never a DNS lookup). */
    private static InetAddress literal(String h) {
        if (IPV4.matcher(h).matches()) {
            for (String octet : h.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null; // not a literal: getByName would look it up in DNS
                }
            }
        } else if (!h.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName(h.contains("%") ? h.substring(0, h.indexOf('%')) : h);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static long contentLength(Headers headers) {
        String v = headers.getFirst("Content-Length");
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
        return media.equalsIgnoreCase("application/json");
    }

    private static String shorten(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }

    List<String> describeHosts() {
        return anyHost ? List.of("*") : hostNames.stream().sorted().toList();
    }
}
