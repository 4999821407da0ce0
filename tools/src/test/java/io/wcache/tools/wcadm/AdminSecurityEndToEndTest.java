package io.wcache.tools.wcadm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.TempDirs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real {@code wcache serve} (child JVM, its log in a file) with the admin API over HTTPS from
 * PEM files the test generates, S3 credentials of its own, and a mount on an S3 store (s3proxy)
 * whose secret key is in the config: wcadm reaches it with {@code --cacert} or {@code --insecure},
 * and no secret appears in the log, the admin API's answers, wcadm's output or error messages.
 */
class AdminSecurityEndToEndTest {

    /** The S3 frontend's own secret, in the worker config. */
    static final String FRONTEND_SECRET = "frontend-secret-7f3a9c";
    /** A secret given to a mount added through the admin API. */
    static final String ADDED_SECRET = "added-mount-secret-51be2d";
    /** A secret put where it does not belong: in the user part of a UFS URI. */
    static final String URI_SECRET = "uri-secret-93ad10";

    private static Path root;
    private static Process worker;
    private static EmbeddedS3Server store;
    private static String admin;
    private static String s3;
    private static Path cert;
    private static final List<String> answers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        root = TempDirs.create("admin-security-");
        store = EmbeddedS3Server.start(root.resolve("s3proxy"));
        store.createBucket("vault");
        cert = root.resolve("admin-cert.pem");
        writeSelfSignedPem(root, cert, root.resolve("admin-key.pem"));
        Path cfg = root.resolve("wcache.yaml");
        Files.writeString(cfg, "data.dir: " + root.resolve("data") + "\n"
                + "cache.capacity: 256MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "s3.credentials: [{accessKey: tester, secretKey: " + FRONTEND_SECRET + "}]\n"
                + "admin.address: 127.0.0.1:0\n"
                + "admin.tls.cert: " + cert + "\n"
                + "admin.tls.key: " + root.resolve("admin-key.pem") + "\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n"
                + "  - path: /vault\n    ufs: s3://vault/data\n    options:\n"
                + "      endpoint: " + store.endpoint() + "\n"
                + "      access.key: " + EmbeddedS3Server.ACCESS_KEY + "\n"
                + "      secret.key: " + EmbeddedS3Server.SECRET_KEY + "\n");
        Path ports = root.resolve("ports");
        ProcessBuilder pb = new ProcessBuilder(WcadmCommandsTest.javaBin(), "-Xmx384m", "-cp",
                System.getProperty("java.class.path"), "io.wcache.worker.WorkerMain", "serve", "--config", cfg.toString(),
                "--port-file", ports.toString());
        pb.environment().remove("WCACHE_ADMIN_TOKEN");
        pb.redirectErrorStream(true);
        pb.redirectOutput(root.resolve("serve.log").toFile());
        worker = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(ports)) {
            assertThat(worker.isAlive()).as("worker exited: " + log()).isTrue();
            assertThat(System.nanoTime()).as("worker did not start in 90s: " + log()).isLessThan(deadline);
            Thread.sleep(50);
        }
        for (String line : Files.readAllLines(ports)) {
            if (line.startsWith("admin=")) {
                admin = "https://" + line.substring("admin=".length());
            } else if (line.startsWith("s3=")) {
                s3 = "http://" + line.substring("s3=".length());
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.destroy();
            if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (store != null) {
            store.close();
        }
        TempDirs.delete(root);
    }

    static String log() {
        try {
            return Files.readString(root.resolve("serve.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** A 2-day RSA certificate for 127.0.0.1 and localhost, made by the JDK's keytool, written as PEM. */
    static void writeSelfSignedPem(Path dir, Path certPem, Path keyPem) throws Exception {
        Path ks = dir.resolve("admin.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "admin", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        Key key = store.getKey("admin", "changeit".toCharArray());
        Certificate c = store.getCertificate("admin");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    }

    /** wcadm run from the directory holding {@code data/}: it finds {@code ./data/admin.token} itself. */
    static WcadmCommandsTest.Result wcadm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Wcadm.run(args, new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), root);
        WcadmCommandsTest.Result r = new WcadmCommandsTest.Result(code, out.toString(), err.toString());
        synchronized (answers) {
            answers.add(r.out());
            answers.add(r.err());
        }
        return r;
    }

    @Test
    void wcadmTalksToTheHttpsAdminApiWithTheWorkersCertificateOrInsecure() {
        WcadmCommandsTest.Result trusted = wcadm("--endpoint", admin, "--cacert", cert.toString(), "info");
        assertThat(trusted.code()).as(trusted.err()).isZero();
        assertThat(trusted.out()).contains("Version:", "/vault");
        WcadmCommandsTest.Result insecure = wcadm("--insecure", "--endpoint", admin, "cache", "stat");
        assertThat(insecure.code()).as(insecure.err()).isZero();
        assertThat(insecure.out()).contains("Capacity:");

        WcadmCommandsTest.Result untrusted = wcadm("--endpoint", admin, "info");
        assertThat(untrusted.code()).isEqualTo(Wcadm.UNREACHABLE);
        assertThat(untrusted.err()).contains("TLS", "--cacert", "--insecure");
        WcadmCommandsTest.Result plain = wcadm("--endpoint", admin.replace("https://", "http://"), "info");
        assertThat(plain.code()).isEqualTo(Wcadm.UNREACHABLE);
    }

    @Test
    void noSecretLeavesTheWorker() throws Exception {
        String[] tls = {"--endpoint", admin, "--cacert", cert.toString()};
        // Use the S3 mount for real: a PUT through the frontend, uploaded to the store with the secret.
        try (S3Client client = S3Client.builder().endpointOverride(URI.create(s3)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("tester", FRONTEND_SECRET)))
                .build()) {
            client.putObject(b -> b.bucket("vault").key("reports/q3.csv"), RequestBody.fromString("q3"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!wcadm(concat(tls, "fs", "stat", "/vault/reports/q3.csv", "--json")).out().contains("\"PERSISTED\"")) {
            assertThat(System.nanoTime()).as("not persisted in 30s: " + log()).isLessThan(deadline);
            Thread.sleep(100);
        }

        // A mount added through the API with a secret, and one that will fail to upload.
        WcadmCommandsTest.Result add = wcadm(concat(tls, "mount", "add", "/vault2", "s3://vault/more",
                "--option", "endpoint=" + store.endpoint(), "--option", "access.key=" + EmbeddedS3Server.ACCESS_KEY,
                "--option", "secret.key=" + ADDED_SECRET, "--option", "bogus.option=1"));
        assertThat(add.code()).as(add.err()).isZero();
        WcadmCommandsTest.Result inUri = wcadm(concat(tls, "mount", "add", "/vault3",
                "s3://AKIAEXAMPLE:" + URI_SECRET + "@vault/x"));
        assertThat(inUri.code()).isEqualTo(Wcadm.SERVER_ERROR);
        assertThat(inUri.err()).contains("credentials in the URI");

        // An upload through the mount with the bad option fails, and its error is kept and shown.
        try (S3Client client = S3Client.builder().endpointOverride(URI.create(s3)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("tester", FRONTEND_SECRET)))
                .build()) {
            client.putObject(b -> b.bucket("vault2").key("fails.csv"), RequestBody.fromString("never uploaded"));
        }
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!wcadm(concat(tls, "async-persist", "list", "--json")).out().contains("bogus.option")) {
            assertThat(System.nanoTime()).as("no failed upload recorded in 30s: " + log()).isLessThan(deadline);
            Thread.sleep(100);
        }

        JsonNode mounts = wcadm(concat(tls, "mount", "list", "--json")).json();
        assertThat(mounts.findValues("secret.key")).isNotEmpty().allSatisfy(v -> assertThat(v.asText()).isEqualTo("***"));
        assertThat(wcadm(concat(tls, "mount", "list")).out()).contains("/vault", "/vault2");
        assertThat(wcadm(concat(tls, "info", "--json")).code()).isZero();
        assertThat(wcadm(concat(tls, "async-persist", "list", "--json")).code()).isZero();
        HttpResponse<String> raw = HttpClient.newBuilder().sslContext(AdminClient.tls(cert, false)).build()
                .send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/mounts"))
                        .header("Authorization", "Bearer " + Files.readString(root.resolve("data/admin.token")).trim())
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(200);
        answers.add(raw.body());
        HttpResponse<String> metrics = HttpClient.newBuilder().sslContext(AdminClient.tls(cert, false)).build()
                .send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
        answers.add(metrics.body());

        String log = log();
        assertThat(log).contains("event=worker_started", "event=admin_started", "scheme=https", "token_source=file",
                "secret.key=***");
        String token = Files.readString(root.resolve("data/admin.token")).trim();
        for (String secret : List.of(EmbeddedS3Server.SECRET_KEY, FRONTEND_SECRET, ADDED_SECRET, URI_SECRET, token)) {
            assertThat(log).as("the worker log").doesNotContain(secret);
            synchronized (answers) {
                for (String a : answers) {
                    assertThat(a).as("an admin answer or wcadm output").doesNotContain(secret);
                }
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
