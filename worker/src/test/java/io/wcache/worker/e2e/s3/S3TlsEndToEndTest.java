package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * HTTPS on the S3 port ({@code s3.tls.cert}, {@code s3.tls.key}) with a certificate the test
 * makes: the AWS SDK v2 trusting it through a trust store, and {@code /usr/bin/aws} with
 * {@code --no-verify-ssl}, both upload and read back; plain HTTP is not served on that port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3TlsEndToEndTest {
    @TempDir
    static Path root;
    @TempDir
    static Path work;
    S3Rig rig;
    Path cert;
    URI https;

    @BeforeAll
    void start() throws Exception {
        cert = work.resolve("s3-cert.pem");
        Path key = work.resolve("s3-key.pem");
        writeSelfSignedPem(work, cert, key);
        rig = new S3Rig(root, "s3.tls.cert=" + cert, "s3.tls.key=" + key);
        https = URI.create("https://127.0.0.1:" + rig.port());
    }

    @AfterAll
    void stop() {
        rig.close();
    }

    /** A 2-day RSA certificate for 127.0.0.1 and localhost, made by the JDK's keytool, written as PEM. */
    static void writeSelfSignedPem(Path dir, Path certPem, Path keyPem) throws Exception {
        Path ks = dir.resolve("s3.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "s3", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
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
        Key key = store.getKey("s3", "changeit".toCharArray());
        Certificate c = store.getCertificate("s3");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    }

    S3Client trustingClient() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("wcache-s3", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return S3Client.builder()
                .endpointOverride(https)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Rig.ACCESS, S3Rig.SECRET)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().tlsTrustManagersProvider(tmf::getTrustManagers))
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    @Test
    void sdkWithATrustStoreUploadsAndReadsOverHttps() throws Exception {
        byte[] body = new byte[700_001];
        new Random(3).nextBytes(body);
        try (S3Client s3 = trustingClient()) {
            // Over HTTPS the SDK sends an unsigned aws-chunked body with a checksum trailer.
            s3.putObject(b -> b.bucket(S3Rig.BUCKET).key("tls/sdk/one.bin"), RequestBody.fromBytes(body));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(S3Rig.BUCKET).key("tls/sdk/one.bin")).asByteArray())
                    .isEqualTo(body);
            assertThat(s3.listObjectsV2(b -> b.bucket(S3Rig.BUCKET).prefix("tls/sdk/")).contents())
                    .extracting(o -> o.key()).containsExactly("tls/sdk/one.bin");
        }
    }

    @Test
    void sdkWithoutTheCertificateRefusesTheServer() {
        try (S3Client s3 = S3Client.builder().endpointOverride(https).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Rig.ACCESS, S3Rig.SECRET)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1))).build()) {
            assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket(S3Rig.BUCKET)))
                    .hasStackTraceContaining("PKIX");
        }
    }

    @Test
    void awscliWithNoVerifySslCopiesOverHttps() throws Exception {
        byte[] big = new byte[9 * 1024 * 1024 + 5];
        new Random(9).nextBytes(big);
        Path src = Files.write(work.resolve("cli.bin"), big);
        aws("s3", "cp", src.toString(), "s3://m/tls/cli.bin");
        aws("s3", "cp", "s3://m/tls/cli.bin", work.resolve("cli.back").toString());
        assertThat(Files.readAllBytes(work.resolve("cli.back"))).isEqualTo(big);
        assertThat(aws("s3", "ls", "s3://m/tls/")).contains("cli.bin");
    }

    @Test
    void plainHttpIsNotServedOnTheTlsPort() throws Exception {
        try (Socket s = new Socket("127.0.0.1", rig.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /m/tls/sdk/one.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = s.getInputStream().readNBytes(5);
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/");
        }
    }

    String aws(String... args) throws Exception {
        Path home = Files.createDirectories(work.resolve("home"));
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url", https.toString(), "--no-verify-ssl"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("HOME", home.toString());
        env.put("AWS_ACCESS_KEY_ID", S3Rig.ACCESS);
        env.put("AWS_SECRET_ACCESS_KEY", S3Rig.SECRET);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_CONFIG_FILE", home.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
        env.put("AWS_PAGER", "");
        Path out = work.resolve("aws.out");
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("timed out: " + cmd);
        }
        String text = Files.readString(out);
        assertThat(p.exitValue()).as("aws %s: %s", String.join(" ", args), text).isZero();
        return text;
    }
}
