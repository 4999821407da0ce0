package io.wcache.tools.wcadm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A small client of the worker's admin REST API: JSON requests and answers, NDJSON streams for
 * long operations. Failures are typed: {@link ServerError} for an error the worker answered,
 * {@link Unreachable} when no worker answers at the endpoint.
 */
public final class AdminClient {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Plain requests are short; streamed ones have no overall deadline (see {@link #stream}). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    public AdminClient(String endpoint, String token) {
        String e = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        try {
            this.endpoint = URI.create(e);
        } catch (IllegalArgumentException ex) {
            throw new Usage("--endpoint '" + endpoint + "' is not a URL, e.g. http://127.0.0.1:9001");
        }
        if (this.endpoint.getScheme() == null || this.endpoint.getHost() == null) {
            throw new Usage("--endpoint '" + endpoint + "' is not a URL, e.g. http://127.0.0.1:9001");
        }
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
    }

    public String endpoint() {
        return endpoint.toString();
    }

    /** An error answer of the worker: {@code {"error", "message", "hint"}} and the HTTP status. */
    public static final class ServerError extends RuntimeException {
        final int status;
        final String code;
        final String hint;

        ServerError(int status, String code, String message, String hint) {
            super(message);
            this.status = status;
            this.code = code;
            this.hint = hint;
        }
    }

    /** No worker answered at the endpoint. */
    public static final class Unreachable extends RuntimeException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A mistake on the command line found before anything was sent. */
    public static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message);
        }
    }

    public static Map<String, String> params(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put(kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    public JsonNode get(String path, Map<String, String> query) {
        return send("GET", path, query, null, null);
    }

    public JsonNode send(String method, String path, Map<String, String> query, String body, String contentType) {
        HttpRequest req = request(method, path, query, body, contentType).timeout(REQUEST_TIMEOUT).build();
        HttpResponse<String> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted", e);
        }
        JsonNode node = parse(resp.body());
        if (resp.statusCode() >= 300) {
            throw error(resp.statusCode(), node, resp.body());
        }
        return node;
    }

    /**
     * Sends a long operation and hands each NDJSON line to {@code onLine} as it arrives. There is
     * no overall deadline: the worker streams a line per batch, so a slow job keeps the
     * connection alive; a final line with an {@code error} field becomes a {@link ServerError}.
     */
    public JsonNode stream(String method, String path, Map<String, String> query, Consumer<JsonNode> onLine) {
        HttpRequest req = request(method, path, query, null, null).build();
        HttpResponse<java.io.InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted", e);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            if (resp.statusCode() >= 300) {
                String all = r.lines().reduce("", (a, b) -> a + b);
                throw error(resp.statusCode(), parse(all), all);
            }
            JsonNode last = null;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = parse(line);
                if (n.has("error")) {
                    throw error(n.path("status").asInt(500), n, line);
                }
                onLine.accept(n);
                last = n;
            }
            if (last == null || !last.path("done").asBoolean(false)) {
                throw new ServerError(502, "INTERRUPTED", "the worker stopped answering before the operation finished",
                        "run the same command again: it continues where it stopped");
            }
            return last;
        } catch (IOException e) {
            throw new ServerError(502, "INTERRUPTED", "the connection broke before the operation finished: " + e.getMessage(),
                    "run the same command again: it continues where it stopped");
        }
    }

    private HttpRequest.Builder request(String method, String path, Map<String, String> query, String body,
                                        String contentType) {
        StringBuilder uri = new StringBuilder(endpoint.toString()).append(path);
        if (query != null && !query.isEmpty()) {
            char sep = '?';
            for (Map.Entry<String, String> e : query.entrySet()) {
                uri.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8).replace("+", "%20"));
                sep = '&';
            }
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri.toString()));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", contentType == null ? "application/json" : contentType);
            b.method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b;
    }

    private Unreachable unreachable(IOException e) {
        String why = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                ? "cannot connect" : "no answer (" + e + ")";
        return new Unreachable(why + " to the wcache admin API at " + endpoint
                + ": is `./wcache serve` running? (endpoint " + endpoint + "; change it with --endpoint or WCADM_ENDPOINT)", e);
    }

    private static JsonNode parse(String text) {
        try {
            return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (IOException e) {
            return JSON.createObjectNode().put("raw", text);
        }
    }

    private static ServerError error(int status, JsonNode n, String raw) {
        String code = n.path("error").asText("HTTP_" + status);
        String message = n.hasNonNull("message") ? n.get("message").asText() : raw;
        String hint = n.hasNonNull("hint") ? n.get("hint").asText() : null;
        return new ServerError(status, code, message, hint);
    }
}
