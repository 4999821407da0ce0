package io.wcache.tools.wcadm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

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
        this(endpoint, token, null);
    }

    /** With {@code tls} (see {@link #tls}) for an {@code https://} endpoint; null: the JDK's default trust. */
    public AdminClient(String endpoint, String token, SSLContext tls) {
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
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /**
     * The TLS context for an {@code https://} endpoint: trusting the PEM certificates in
     * {@code caFile} (the worker's certificate or its CA), or with {@code insecure} any certificate
     * and any host name; null (the JDK's trust store) when neither is given.
     */
    static SSLContext tls(Path caFile, boolean insecure) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            if (insecure) {
                ctx.init(null, new TrustManager[] {new TrustingAnyCertificate()}, null);
                return ctx;
            }
            if (caFile == null) {
                return null;
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caFile)) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
                if (i == 0) {
                    throw new Usage("--cacert " + caFile + " holds no PEM certificate");
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new Usage("--cacert " + caFile + " cannot be used: " + e.getMessage());
        }
    }

    /**
     * Accepts every server certificate. Being an {@link X509ExtendedTrustManager}, it is also where
     * JSSE would check the host name, so {@code --insecure} skips that too, as {@code curl -k} does.
     */
    private static final class TrustingAnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
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
        if (e instanceof SSLException || e.getCause() instanceof SSLException) {
            return new Unreachable("TLS with the wcache admin API at " + endpoint + " failed (" + e.getMessage()
                    + "): pass the worker's certificate with --cacert FILE (or $WCADM_CACERT), or --insecure to skip"
                    + " the check", e);
        }
        String why = e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                ? "cannot connect" : "no answer (" + e + ")";
        if (!(e instanceof ConnectException) && "http".equals(endpoint.getScheme())) {
            why += "; if the worker serves the admin API over TLS (admin.tls.cert), use --endpoint https://...";
        }
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
