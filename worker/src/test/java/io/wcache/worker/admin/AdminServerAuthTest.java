package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wcache.core.cache.WriteOptions;
import io.wcache.core.cache.WriteSession;
import io.wcache.core.path.NamespacePath;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import io.wcache.worker.cache.WorkerCacheService;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The admin API's access rules, over raw HTTP as a browser or an attacker would send it: a token
 * generated at first start and required everywhere but {@code /metrics} and {@code /health}; Host
 * names other than the server's refused (DNS rebinding); cross-site requests refused; bodies JSON
 * only and bounded; {@code admin.auth: none} only on loopback and with a warning.
 */
class AdminServerAuthTest {

    @TempDir
    Path root;

    record Answer(int status, String body) {
    }

    private static AdminServer admin(Worker w, Map<String, String> env) {
        return AdminServer.start(w, env, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Sends {@code head} (CRLF-separated lines, without the blank line) and {@code body} on a new connection. */
    static Answer raw(AdminServer s, String head, String body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", s.address().getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String h = head + "\r\nConnection: close\r\n" + (b.length > 0 || head.startsWith("POST") || head.startsWith("PUT")
                    ? "Content-Length: " + b.length + "\r\n" : "") + "\r\n";
            out.write(h.getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            int sep = text.indexOf("\r\n\r\n");
            return new Answer(status, sep < 0 ? "" : text.substring(sep + 4));
        }
    }

    private static String host(AdminServer s) {
        return "Host: 127.0.0.1:" + s.address().getPort();
    }

    private static void put(Worker w, String path) {
        WriteSession session = WorkerCacheService.await(w.cacheService().create(NamespacePath.of(path), WriteOptions.defaults()));
        WorkerCacheService.await(session.append(ByteBuffer.wrap("payroll".getBytes(StandardCharsets.UTF_8))));
        WorkerCacheService.await(session.commit());
    }

    private static boolean exists(Worker w, String path) {
        return WorkerCacheService.await(w.cacheService().stat(NamespacePath.of(path))).isPresent();
    }

    @Test
    void aTokenIsGeneratedAtFirstStartOwnerOnlyAndKeptAcrossRestarts() throws Exception {
        Path file = root.resolve("admin.token");
        String token;
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0"); AdminServer s = admin(w, Map.of())) {
            assertThat(file).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            token = Files.readString(file).trim();
            assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+");

            Answer none = raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s), "");
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.body()).contains("\"error\":\"UNAUTHORIZED\"", "WCADM_TOKEN_FILE").doesNotContain(token);
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer wrong", "").status())
                    .isEqualTo(401);
            // An unknown route is not revealed to a caller without the token.
            assertThat(raw(s, "GET /api/v1/nope HTTP/1.1\r\n" + host(s), "").status()).isEqualTo(401);
            Answer ok = raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token, "");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).contains("\"metadataEngine\"");
            Answer wrongMethod = raw(s, "DELETE /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token, "");
            assertThat(wrongMethod.status()).isEqualTo(405);
            assertThat(wrongMethod.body()).contains("METHOD_NOT_ALLOWED");
            Answer unknown = raw(s, "GET /api/v1/nope HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token, "");
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.body()).contains("NO_SUCH_ENDPOINT");
            // Read-only routes without secrets need no token.
            assertThat(raw(s, "GET /metrics HTTP/1.1\r\n" + host(s), "").status()).isEqualTo(200);
            Answer health = raw(s, "GET /health HTTP/1.1\r\n" + host(s), "");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"ok\"");
        }
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0"); AdminServer s = admin(w, Map.of())) {
            assertThat(Files.readString(file).trim()).isEqualTo(token);
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token, "").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void aTokenFileOthersCanReadIsNarrowedToItsOwner() throws Exception {
        Files.writeString(root.resolve("admin.token"), "pre-existing-token\n");
        Files.setPosixFilePermissions(root.resolve("admin.token"), PosixFilePermissions.fromString("rw-r--r--"));
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0"); AdminServer s = admin(w, Map.of())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("admin.token"))))
                    .isEqualTo("rw-------");
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer pre-existing-token", "")
                    .status()).isEqualTo(200);
        }
    }

    @Test
    void anUnusableTokenFileStopsTheStartSayingWhatToSet() throws Exception {
        Files.createDirectories(root.resolve("admin.token"));
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0")) {
            assertThatThrownBy(() -> admin(w, Map.of())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("admin token file").hasMessageContaining("WCACHE_ADMIN_TOKEN");
        }
    }

    @Test
    void aConfiguredTokenOrTheEnvironmentsReplacesTheFile() throws Exception {
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0", "admin.token=from-config");
             AdminServer s = admin(w, Map.of())) {
            assertThat(root.resolve("admin.token")).doesNotExist();
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer from-config", "")
                    .status()).isEqualTo(200);
            // effectiveValues() is what start-up listings print: the token is not in it.
            assertThat(w.config().effectiveValues().get("admin.token")).isEqualTo("***");
            assertThat(w.config().toString()).doesNotContain("from-config");
        }
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0", "admin.token=from-config");
             AdminServer s = admin(w, Map.of(AdminToken.ENV, "from-env"))) {
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer from-config", "")
                    .status()).isEqualTo(401);
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer from-env", "")
                    .status()).isEqualTo(200);
        }
    }

    /** The attack of the report: a page the operator visits posts a recursive delete cross-site. */
    @Test
    void aBrowserStyleCrossOriginPostRemovesNothing() throws Exception {
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0"); AdminServer s = admin(w, Map.of())) {
            put(w, "/m/secret/payroll.csv");
            String token = Files.readString(root.resolve("admin.token")).trim();
            String attack = "POST /api/v1/fs/rm?path=/m/secret&recursive=true HTTP/1.1\r\n" + host(s)
                    + "\r\nContent-Type: text/plain\r\nOrigin: http://evil.example";
            Answer noToken = raw(s, attack, "x");
            assertThat(noToken.status()).isEqualTo(403);
            assertThat(noToken.body()).contains("CROSS_ORIGIN");
            // Even a page that somehow knew the token is refused: its Origin is not this server.
            Answer withToken = raw(s, attack + "\r\nAuthorization: Bearer " + token, "x");
            assertThat(withToken.status()).isEqualTo(403);
            // Without Origin (an old browser) the token still stops it, then the content type.
            assertThat(raw(s, "POST /api/v1/fs/rm?path=/m/secret&recursive=true HTTP/1.1\r\n" + host(s)
                    + "\r\nContent-Type: text/plain", "x").status()).isEqualTo(401);
            Answer plain = raw(s, "POST /api/v1/fs/rm?path=/m/secret&recursive=true HTTP/1.1\r\n" + host(s)
                    + "\r\nContent-Type: text/plain\r\nAuthorization: Bearer " + token, "x");
            assertThat(plain.status()).isEqualTo(415);
            assertThat(plain.body()).contains("UNSUPPORTED_MEDIA_TYPE", "application/json");
            assertThat(exists(w, "/m/secret/payroll.csv")).isTrue();

            // The same origin (a page of this server itself) with the token: allowed.
            Answer same = raw(s, "POST /api/v1/fs/rm?path=/m/secret/payroll.csv HTTP/1.1\r\n" + host(s)
                    + "\r\nOrigin: http://127.0.0.1:" + s.address().getPort() + "\r\nAuthorization: Bearer " + token, "");
            assertThat(same.status()).as(same.body()).isEqualTo(200);
            assertThat(exists(w, "/m/secret/payroll.csv")).isFalse();
        }
    }

    @Test
    void withAuthNoneCrossSiteRequestsAreStillRefused() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(AdminServer.class);
        logger.addAppender(log);
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0", "admin.auth=none");
             AdminServer s = admin(w, Map.of())) {
            assertThat(root.resolve("admin.token")).doesNotExist();
            assertThat(log.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("event=admin_auth_disabled"));
            put(w, "/m/secret/payroll.csv");
            String rm = "POST /api/v1/fs/rm?path=/m/secret&recursive=true HTTP/1.1\r\n" + host(s);
            assertThat(raw(s, rm + "\r\nContent-Type: text/plain\r\nOrigin: http://evil.example", "x").status())
                    .isEqualTo(403);
            assertThat(raw(s, rm + "\r\nOrigin: null", "").status()).isEqualTo(403);
            assertThat(raw(s, rm + "\r\nOrigin: http://localhost:3000", "").status()).isEqualTo(403);
            assertThat(raw(s, rm + "\r\nSec-Fetch-Site: cross-site", "").status()).isEqualTo(403);
            assertThat(raw(s, rm + "\r\nContent-Type: application/x-www-form-urlencoded", "a=b").status()).isEqualTo(415);
            assertThat(raw(s, rm + "\r\nContent-Type: text/plain", "").status()).isEqualTo(415);
            assertThat(exists(w, "/m/secret/payroll.csv")).isTrue();
            // A local tool with no token and no browser headers may, by the operator's choice.
            Answer tool = raw(s, rm, "");
            assertThat(tool.status()).as(tool.body()).isEqualTo(200);
            assertThat(exists(w, "/m/secret/payroll.csv")).isFalse();
        } finally {
            logger.detachAppender(log);
        }
    }

    @Test
    void authNoneIsRefusedOffLoopback() {
        try (Worker w = TestWorkers.start(root, "admin.address=0.0.0.0:0", "admin.auth=none")) {
            // Refused before binding: nothing listens beyond loopback.
            assertThatThrownBy(() -> admin(w, Map.of()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("admin.auth: none is refused")
                    .hasMessageContaining("not a loopback address");
        }
    }

    /** DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends Host: evil.example. */
    @Test
    void aRebindingHostHeaderIsRefused() throws Exception {
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0", "admin.allowed.hosts=admin.internal");
             AdminServer s = admin(w, Map.of())) {
            String token = Files.readString(root.resolve("admin.token")).trim();
            String auth = "\r\nAuthorization: Bearer " + token;
            int port = s.address().getPort();
            Answer evil = raw(s, "GET /api/v1/info HTTP/1.1\r\nHost: evil.example:" + port + auth, "");
            assertThat(evil.status()).isEqualTo(403);
            assertThat(evil.body()).contains("HOST_NOT_ALLOWED", "admin.allowed.hosts");
            assertThat(raw(s, "GET /metrics HTTP/1.1\r\nHost: evil.example:" + port, "").status()).isEqualTo(403);
            assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\nHost: 10.1.2.3:" + port + auth, "").status()).isEqualTo(403);
            for (String ok : new String[] {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port,
                    "127.0.0.2", "admin.internal:" + port}) {
                assertThat(raw(s, "GET /api/v1/info HTTP/1.1\r\nHost: " + ok + auth, "").status()).as(ok).isEqualTo(200);
            }
        }
    }

    @Test
    void adminBodiesAreBoundedAndJsonOnly() throws Exception {
        try (Worker w = TestWorkers.start(root, "admin.address=127.0.0.1:0"); AdminServer s = admin(w, Map.of())) {
            String token = Files.readString(root.resolve("admin.token")).trim();
            String head = "PUT /api/v1/pathconfig/rule HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json";
            // Declared too large: refused before anything is read.
            try (Socket socket = new Socket("127.0.0.1", s.address().getPort())) {
                socket.getOutputStream().write((head + "\r\nContent-Length: " + (64L << 20) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).isEqualTo("HTTP/1.1 413");
            }
            // Chunked, so no length is declared: cut at the limit.
            try (Socket socket = new Socket("127.0.0.1", s.address().getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write((head + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                // A little over the limit, so what the server leaves unread fits its drain of the connection.
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) ' ');
                for (int i = 0; i < 16; i++) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("2\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).isEqualTo("HTTP/1.1 413");
            }
            Answer ok = raw(s, head, "{\"path\":\"/m/logs\",\"policy\":\"TRANSIENT\"}");
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
            Answer yaml = raw(s, "PUT /api/v1/pathconfig HTTP/1.1\r\n" + host(s) + "\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/yaml", "default:\n  policy: WRITE_BACK\n");
            assertThat(yaml.status()).isEqualTo(415);
            Answer notJson = raw(s, head, "policy=TRANSIENT");
            assertThat(notJson.status()).isEqualTo(400);
        }
    }
}
