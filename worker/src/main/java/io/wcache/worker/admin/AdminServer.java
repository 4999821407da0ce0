package io.wcache.worker.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.wcache.core.config.AdminAuthMode;
import io.wcache.core.config.ConfigKeys;
import io.wcache.core.config.WcacheConfig;
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
import java.nio.file.Path;
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
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's admin REST API (JSON under {@code /api/v1}), Prometheus {@code /metrics} and
 * {@code /health}, on the JDK's HTTP(S) server: admin requests are few and small, so a plain thread
 * pool suffices. Bound to {@code admin.address}, over HTTPS when {@code admin.tls.cert} and
 * {@code admin.tls.key} are set. Every request passes {@link AdminGuard} first (Host, Origin,
 * bearer token from {@link AdminToken}, JSON bodies only, bounded bodies); see docs/SECURITY.md.
 * Long operations answer {@code application/x-ndjson}: one {@link Progress} line per batch.
 */
public final class AdminServer implements Frontend {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    /** Environment variable holding the admin bearer token (see {@link AdminToken}). */
    public static final String TOKEN_ENV = AdminToken.ENV;
    static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private final HttpServer http;
    private final ExecutorService threads;
    private final AdminApi api;
    private final PrometheusMeterRegistry prometheus;
    private final MeterRegistry registry;
    private final AdminGuard guard;
    private final boolean tls;
    private final Map<String, Handler> handlers;

    private AdminServer(HttpServer http, ExecutorService threads, AdminApi api, PrometheusMeterRegistry prometheus,
                        AdminGuard guard, boolean tls) {
        this.http = http;
        this.threads = threads;
        this.api = api;
        this.prometheus = prometheus;
        this.registry = prometheus;
        this.guard = guard;
        this.tls = tls;
        this.handlers = handlers();
    }

    /** A factory binding {@code admin.address} from the worker's config, with the process environment. */
    public static Frontend.Factory factory() {
        return worker -> start(worker, System.getenv(), WorkerMetrics.newRegistry());
    }

    /**
     * Binds and starts the server as the worker's config says, with {@code env} for
     * {@code WCACHE_ADMIN_TOKEN}.
     *
     * @throws IllegalStateException when {@code admin.auth: none} is asked on an address other than
     *                               loopback, or the TLS files cannot be used, or the port cannot be bound
     */
    public static AdminServer start(Worker worker, Map<String, String> env, PrometheusMeterRegistry prometheus) {
        WcacheConfig cfg = worker.config();
        HostPort address = cfg.adminAddress();
        InetSocketAddress bind = new InetSocketAddress(address.host(), address.port());
        InetAddress ia = bind.getAddress();
        boolean loopback = ia != null && ia.isLoopbackAddress();
        if (cfg.get(ConfigKeys.ADMIN_AUTH) == AdminAuthMode.NONE && !loopback) {
            throw new IllegalStateException("admin.auth: none is refused on admin.address " + address
                    + ", which is not a loopback address: anyone who reaches it could change and delete data. Remove"
                    + " admin.auth (the token is then generated into admin.token under data.dir), or bind admin.address"
                    + " to 127.0.0.1");
        }
        String cert = cfg.get(ConfigKeys.ADMIN_TLS_CERT);
        String key = cfg.get(ConfigKeys.ADMIN_TLS_KEY);
        if (cert.isBlank() != key.isBlank()) {
            throw new IllegalStateException("set both admin.tls.cert and admin.tls.key, or neither");
        }
        SSLContext ssl = cert.isBlank() ? null : AdminTls.context(Path.of(cert), Path.of(key));
        AdminToken token = AdminToken.resolve(cfg, env);
        AdminGuard guard = AdminGuard.of(token.token(), address.host(), cfg.get(ConfigKeys.ADMIN_ALLOWED_HOSTS));
        boundRequestTime(cfg.get(ConfigKeys.ADMIN_REQUEST_TIMEOUT));
        WorkerMetrics.bind(worker, prometheus);
        try {
            HttpServer http;
            if (ssl != null) {
                HttpsServer https = HttpsServer.create(bind, 64);
                https.setHttpsConfigurator(new HttpsConfigurator(ssl));
                http = https;
            } else {
                http = HttpServer.create(bind, 64);
            }
            AtomicInteger n = new AtomicInteger();
            ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "wcache-admin-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            http.setExecutor(threads);
            AdminServer server = new AdminServer(http, threads, new AdminApi(worker, Clock.systemUTC()), prometheus, guard,
                    ssl != null);
            http.createContext("/", server::handle);
            http.start();
            if (token.token() == null) {
                LOG.warn("event=admin_auth_disabled address={} warning=\"admin.auth is none: any local user or program"
                        + " can change and delete data through the admin API; for local experiments only\"",
                        server.address());
            }
            LOG.info("event=admin_started address={} scheme={} auth={} token_source={}{}", server.address(),
                    ssl != null ? "https" : "http", token.token() == null ? "none" : "bearer", token.source(),
                    token.file() == null ? "" : " token_file=" + token.file());
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind admin.address " + address + ": " + e.getMessage()
                    + " (is another worker running? pick another port with --set admin.address=127.0.0.1:PORT)", e);
        }
    }

    /** The JDK server's property bounding the time to receive a request (head and body), in seconds. */
    static final String MAX_REQUEST_TIME_PROPERTY = "sun.net.httpserver.maxReqTime";

    /**
     * Bounds the time a client may take to send a request, so a few connections that send their
     * head byte by byte (slowloris) cannot hold the four admin threads. The JDK server reads the
     * property once, when its first server starts; a value given with {@code -D} is kept.
     */
    private static void boundRequestTime(Duration timeout) {
        if (System.getProperty(MAX_REQUEST_TIME_PROPERTY) == null) {
            long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
            System.setProperty(MAX_REQUEST_TIME_PROPERTY, Long.toString(seconds));
        }
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public String describe() {
        return "frontend=admin address=" + address().getHostString() + ":" + address().getPort()
                + (tls ? " scheme=https" : "");
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
            guard.check(method, route, ex.getRequestHeaders());
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

    private String operationTag(String method, String route) {
        // Only known routes become tag values, so a scan of random URLs cannot grow the registry.
        return handlers.containsKey(method + " " + route) ? method + " " + route : "other";
    }

    /** One endpoint: answers the exchange and returns the status it sent. */
    @FunctionalInterface
    private interface Handler {
        int handle(HttpExchange ex, Map<String, String> query) throws IOException;
    }

    /** Every endpoint by {@code "METHOD /path"}; docs/ADMIN.md describes each. */
    private Map<String, Handler> handlers() {
        Map<String, Handler> h = new LinkedHashMap<>();
        h.put("GET /metrics", (ex, q) -> metrics(ex));
        h.put("GET /health", (ex, q) -> send(ex, 200, Map.of("status", "ok")));
        h.put("GET /api/v1/info", (ex, q) -> send(ex, 200, api.info()));
        h.put("GET /api/v1/cache/stat", (ex, q) -> send(ex, 200, api.cacheStat()));
        h.put("GET /api/v1/pathconfig", (ex, q) -> send(ex, 200, api.pathConfig()));
        h.put("PUT /api/v1/pathconfig", (ex, q) -> send(ex, 200, api.importDocument(text(body(ex), "document"))));
        h.put("PUT /api/v1/pathconfig/rule", (ex, q) -> {
            JsonNode body = body(ex);
            Integer replicas = body.hasNonNull("writeReplicas") ? body.get("writeReplicas").asInt() : null;
            return send(ex, 200, api.setRule(text(body, "path"), text(body, "policy"), replicas));
        });
        h.put("DELETE /api/v1/pathconfig/rule", (ex, q) -> send(ex, 200, api.unsetRule(required(q, "path"))));
        h.put("GET /api/v1/pathconfig/resolve", (ex, q) -> send(ex, 200, api.resolve(required(q, "path"))));
        h.put("GET /api/v1/async-persist/stat", (ex, q) -> send(ex, 200, api.persistStat()));
        h.put("GET /api/v1/async-persist/list", (ex, q) -> send(ex, 200, api.persistList(intParam(q, "limit", 1000))));
        h.put("GET /api/v1/fs/ls", (ex, q) -> send(ex, 200, api.list(required(q, "path"), bool(q, "recursive"))));
        h.put("GET /api/v1/fs/stat", (ex, q) -> send(ex, 200, api.stat(required(q, "path"))));
        h.put("POST /api/v1/fs/rm", (ex, q) -> {
            String path = required(q, "path");
            boolean recursive = bool(q, "recursive");
            return stream(ex, sink -> api.remove(path, recursive, sink));
        });
        h.put("POST /api/v1/fs/free", (ex, q) -> {
            String path = required(q, "path");
            return stream(ex, sink -> api.free(path, sink));
        });
        h.put("GET /api/v1/orphans", (ex, q) -> send(ex, 200, api.orphans(duration(q, "olderThan"))));
        h.put("POST /api/v1/orphans/clean", (ex, q) -> {
            Duration d = duration(q, "olderThan");
            return stream(ex, sink -> api.cleanOrphans(d, sink));
        });
        h.put("GET /api/v1/workers", (ex, q) -> send(ex, 200, api.workers()));
        h.put("POST /api/v1/workers/kill", (ex, q) -> send(ex, 200, api.killWorker(required(q, "name"))));
        h.put("POST /api/v1/workers/start", (ex, q) -> send(ex, 200, api.startWorker(required(q, "name"))));
        h.put("POST /api/v1/workers/drain", (ex, q) -> {
            String name = required(q, "name");
            Duration timeout = duration(q, "timeout");
            return stream(ex, sink -> api.drain(name, timeout == null ? Duration.ofMinutes(10) : timeout, sink));
        });
        h.put("GET /api/v1/mounts", (ex, q) -> send(ex, 200, api.mounts()));
        h.put("POST /api/v1/mounts", (ex, q) -> {
            JsonNode body = body(ex);
            Map<String, String> options = new LinkedHashMap<>();
            if (body.has("options")) {
                body.get("options").fields().forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
            }
            return send(ex, 200, api.addMount(text(body, "path"), text(body, "ufs"), options));
        });
        h.put("DELETE /api/v1/mounts", (ex, q) -> send(ex, 200, api.removeMount(required(q, "path"))));
        return Map.copyOf(h);
    }

    private int route(HttpExchange ex, String method, String route, Map<String, String> q) throws IOException {
        Handler handler = handlers.get(method + " " + route);
        if (handler != null) {
            return handler.handle(ex, q);
        }
        if (handlers.keySet().stream().anyMatch(k -> k.endsWith(" " + route))) {
            throw new AdminException(405, "METHOD_NOT_ALLOWED", method + " is not allowed on " + route,
                    "see docs/ADMIN.md for the methods of each endpoint");
        }
        throw new AdminException(404, "NO_SUCH_ENDPOINT", "no endpoint " + route,
                "endpoints are under /api/v1 (docs/ADMIN.md); is the wcadm version the worker's?");
    }

    private int metrics(HttpExchange ex) throws IOException {
        byte[] body = prometheus.scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        return 200;
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

    /** The JSON body, read up to {@link AdminGuard#MAX_BODY_BYTES} (the guard refused a larger declared length). */
    private static JsonNode body(HttpExchange ex) throws IOException {
        byte[] b = ex.getRequestBody().readNBytes(AdminGuard.MAX_BODY_BYTES + 1);
        if (b.length > AdminGuard.MAX_BODY_BYTES) {
            throw AdminGuard.tooLarge();
        }
        try {
            JsonNode n = b.length == 0 ? JSON.createObjectNode() : JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw new IOException("not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw AdminError.badRequest("the request body is not a JSON object", "send a JSON object, see docs/ADMIN.md");
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
