package io.wcache.worker.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wcache.core.config.DurationParser;
import io.wcache.core.config.HostPort;
import io.wcache.worker.Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.admin.AdminError.AdminException;
import io.wcache.worker.admin.AdminViews.Progress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's admin REST API (JSON under {@code /api/v1}) and Prometheus {@code /metrics}, on
 * the JDK's HTTP server: admin requests are few and small, so a plain thread pool suffices.
 * Bound to {@code admin.address}; on a non-loopback address every request must carry
 * {@code Authorization: Bearer <token>} and the server refuses to start without a token.
 * Long operations answer {@code application/x-ndjson}: one {@link Progress} line per batch.
 */
public final class AdminServer implements Frontend {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    /** Environment variable holding the admin bearer token. */
    public static final String TOKEN_ENV = "WCACHE_ADMIN_TOKEN";
    static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private final HttpServer http;
    private final ExecutorService threads;
    private final AdminApi api;
    private final PrometheusMeterRegistry prometheus;
    private final MeterRegistry registry;
    private final String token;

    private AdminServer(HttpServer http, ExecutorService threads, AdminApi api, PrometheusMeterRegistry prometheus,
                        String token) {
        this.http = http;
        this.threads = threads;
        this.api = api;
        this.prometheus = prometheus;
        this.registry = prometheus;
        this.token = token;
    }

    /** The token from {@link #TOKEN_ENV} when set, else {@code admin.token} from the config (empty: none). */
    static String configuredToken(Worker worker) {
        String env = System.getenv(TOKEN_ENV);
        return env != null && !env.isBlank() ? env : worker.config().get(io.wcache.core.config.ConfigKeys.ADMIN_TOKEN);
    }

    /** A factory binding {@code admin.address} from the worker's config, with the token from {@link #configuredToken}. */
    public static Frontend.Factory factory() {
        return worker -> start(worker, worker.config().adminAddress(), configuredToken(worker),
                WorkerMetrics.newRegistry());
    }

    /**
     * Binds and starts the server.
     *
     * @throws IllegalStateException when bound to a non-loopback address without a token
     */
    public static AdminServer start(Worker worker, HostPort address, String token, PrometheusMeterRegistry prometheus) {
        String tok = token == null || token.isBlank() ? null : token.trim();
        InetSocketAddress bind = new InetSocketAddress(address.host(), address.port());
        InetAddress ia = bind.getAddress();
        boolean loopback = ia != null && ia.isLoopbackAddress();
        if (!loopback && tok == null) {
            throw new IllegalStateException("admin.address " + address + " is not a loopback address: set admin.token"
                    + " in the config or " + TOKEN_ENV + " (clients pass it with wcadm --token or WCADM_TOKEN), or bind admin.address"
                    + " to 127.0.0.1");
        }
        WorkerMetrics.bind(worker, prometheus);
        try {
            HttpServer http = HttpServer.create(bind, 64);
            AtomicInteger n = new AtomicInteger();
            ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "wcache-admin-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            http.setExecutor(threads);
            AdminServer server = new AdminServer(http, threads, new AdminApi(worker, Clock.systemUTC()), prometheus, tok);
            http.createContext("/", server::handle);
            http.start();
            LOG.info("event=admin_started address={} auth={}", server.address(), tok == null ? "none" : "bearer");
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind admin.address " + address + ": " + e.getMessage()
                    + " (is another worker running? pick another port with --set admin.address=127.0.0.1:PORT)", e);
        }
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public String describe() {
        return "frontend=admin address=" + address().getHostString() + ":" + address().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
        try {
            threads.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- dispatch

    private void handle(HttpExchange ex) {
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        String route = uri.getPath();
        String op = method + " " + route;
        long start = System.nanoTime();
        int status = 500;
        try {
            if (token != null && !authorized(ex)) {
                throw new AdminException(401, "UNAUTHORIZED", "missing or wrong bearer token",
                        "pass the admin token with --token or WCADM_TOKEN");
            }
            Map<String, String> q = query(uri);
            status = route(ex, method, route, q);
        } catch (Throwable t) {
            AdminError err = AdminError.of(t);
            status = err.status();
            if (err.status() >= 500) {
                LOG.warn("event=admin_request_failed op=\"{}\" error={}", op, String.valueOf(t), t);
            } else {
                LOG.debug("event=admin_request_refused op=\"{}\" error={}", op, err.message());
            }
            try {
                send(ex, err.status(), err);
            } catch (IOException | RuntimeException ignored) {
                // the response was already started (streamed); the client sees a truncated stream
            }
        } finally {
            ex.close();
            Timer.builder("wcache.admin.requests").description("Admin API requests by operation")
                    .tag("operation", operationTag(method, route)).tag("status", Integer.toString(status))
                    .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private static String operationTag(String method, String route) {
        // Only known routes become tag values, so a scan of random URLs cannot grow the registry.
        return ROUTES.contains(route) ? method + " " + route : "other";
    }

    private static final java.util.Set<String> ROUTES = java.util.Set.of("/metrics", "/api/v1/info",
            "/api/v1/cache/stat", "/api/v1/pathconfig", "/api/v1/pathconfig/rule", "/api/v1/pathconfig/resolve",
            "/api/v1/async-persist/stat", "/api/v1/async-persist/list", "/api/v1/fs/ls", "/api/v1/fs/stat",
            "/api/v1/fs/rm", "/api/v1/fs/free", "/api/v1/orphans", "/api/v1/orphans/clean", "/api/v1/mounts");

    private int route(HttpExchange ex, String method, String route, Map<String, String> q) throws IOException {
        switch (method + " " + route) {
            case "GET /metrics" -> {
                byte[] body = prometheus.scrape().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                return 200;
            }
            case "GET /api/v1/info" -> {
                return send(ex, 200, api.info());
            }
            case "GET /api/v1/cache/stat" -> {
                return send(ex, 200, api.cacheStat());
            }
            case "GET /api/v1/pathconfig" -> {
                return send(ex, 200, api.pathConfig());
            }
            case "PUT /api/v1/pathconfig" -> {
                return send(ex, 200, api.importDocument(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            }
            case "PUT /api/v1/pathconfig/rule" -> {
                JsonNode body = body(ex);
                String path = text(body, "path");
                String policy = text(body, "policy");
                Integer replicas = body.hasNonNull("writeReplicas") ? body.get("writeReplicas").asInt() : null;
                return send(ex, 200, api.setRule(path, policy, replicas));
            }
            case "DELETE /api/v1/pathconfig/rule" -> {
                return send(ex, 200, api.unsetRule(required(q, "path")));
            }
            case "GET /api/v1/pathconfig/resolve" -> {
                return send(ex, 200, api.resolve(required(q, "path")));
            }
            case "GET /api/v1/async-persist/stat" -> {
                return send(ex, 200, api.persistStat());
            }
            case "GET /api/v1/async-persist/list" -> {
                return send(ex, 200, api.persistList(intParam(q, "limit", 1000)));
            }
            case "GET /api/v1/fs/ls" -> {
                return send(ex, 200, api.list(required(q, "path"), bool(q, "recursive")));
            }
            case "GET /api/v1/fs/stat" -> {
                return send(ex, 200, api.stat(required(q, "path")));
            }
            case "POST /api/v1/fs/rm" -> {
                String path = required(q, "path");
                boolean recursive = bool(q, "recursive");
                return stream(ex, sink -> api.remove(path, recursive, sink));
            }
            case "POST /api/v1/fs/free" -> {
                String path = required(q, "path");
                return stream(ex, sink -> api.free(path, sink));
            }
            case "GET /api/v1/orphans" -> {
                return send(ex, 200, api.orphans(duration(q, "olderThan")));
            }
            case "POST /api/v1/orphans/clean" -> {
                Duration d = duration(q, "olderThan");
                return stream(ex, sink -> api.cleanOrphans(d, sink));
            }
            case "GET /api/v1/mounts" -> {
                return send(ex, 200, api.mounts());
            }
            case "POST /api/v1/mounts" -> {
                JsonNode body = body(ex);
                Map<String, String> options = new LinkedHashMap<>();
                if (body.has("options")) {
                    body.get("options").fields().forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
                }
                return send(ex, 200, api.addMount(text(body, "path"), text(body, "ufs"), options));
            }
            case "DELETE /api/v1/mounts" -> {
                return send(ex, 200, api.removeMount(required(q, "path")));
            }
            default -> {
                if (ROUTES.contains(route)) {
                    throw new AdminException(405, "METHOD_NOT_ALLOWED", method + " is not allowed on " + route,
                            "see docs/ADMIN.md for the methods of each endpoint");
                }
                throw new AdminException(404, "NO_SUCH_ENDPOINT", "no endpoint " + route,
                        "endpoints are under /api/v1 (docs/ADMIN.md); is the wcadm version the worker's?");
            }
        }
    }

    /**
     * Runs a long operation, writing each progress report as one NDJSON line and flushing it, so
     * the client sees the work advance and no idle deadline expires while it does. A failure after
     * the first line is reported as a final {@code {"error": ...}} line.
     */
    private int stream(HttpExchange ex, Consumer<Consumer<Progress>> operation) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        Consumer<Progress> sink = p -> {
            try {
                out.write(JSON.writeValueAsBytes(p));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                // The client went away: stop the work between batches; a rerun continues it.
                throw new java.io.UncheckedIOException(e);
            }
        };
        try {
            operation.accept(sink);
        } catch (java.io.UncheckedIOException e) {
            LOG.info("event=admin_stream_abandoned error={}", e.getCause().toString());
            return 499;
        } catch (RuntimeException e) {
            AdminError err = AdminError.of(e);
            out.write(JSON.writeValueAsBytes(err));
            out.write('\n');
            out.flush();
            return err.status();
        }
        return 200;
    }

    private static int send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        return status;
    }

    private boolean authorized(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        byte[] b = ex.getRequestBody().readNBytes(1 << 20);
        try {
            return b.length == 0 ? JSON.createObjectNode() : JSON.readTree(b);
        } catch (IOException e) {
            throw AdminError.badRequest("the request body is not JSON: " + e.getMessage(),
                    "send a JSON object, see docs/ADMIN.md");
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull() || n.asText().isEmpty()) {
            throw AdminError.badRequest("missing field '" + field + "'", "see docs/ADMIN.md for the request body");
        }
        return n.asText();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return q;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private static String required(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) {
            throw AdminError.badRequest("missing query parameter '" + name + "'", "add ?" + name + "=...");
        }
        return v;
    }

    private static boolean bool(Map<String, String> q, String name) {
        String v = q.get(name);
        return v != null && (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1"));
    }

    private static int intParam(Map<String, String> q, String name, int dflt) {
        String v = q.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw AdminError.badRequest(name + " '" + v + "' is not a number", "pass a whole number");
        }
    }

    private static Duration duration(Map<String, String> q, String name) {
        String v = q.get(name);
        return v == null || v.isEmpty() ? null : DurationParser.parse(name, v);
    }
}
