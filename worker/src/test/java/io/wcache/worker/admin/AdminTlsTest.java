package io.wcache.worker.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API's PEM key reading, and start-up refusals of a TLS pair it cannot use. */
class AdminTlsTest {

    @TempDir
    Path root;

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @Test
    void readsPkcs8AndPkcs1RsaKeys() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        Path p8 = root.resolve("key8.pem");
        Files.writeString(p8, pem("PRIVATE KEY", pkcs8));
        assertThat(AdminTls.privateKey(p8)).isEqualTo(pair.getPrivate());

        // PKCS#8 wraps PKCS#1 as its final OCTET STRING: the bytes after version and algorithm.
        byte[] pkcs1 = innerOctetString(pkcs8);
        assertThat(AdminTls.rsaPkcs1ToPkcs8(pkcs1)).isEqualTo(pkcs8);
        Path p1 = root.resolve("key1.pem");
        Files.writeString(p1, pem("RSA PRIVATE KEY", pkcs1));
        PrivateKey fromPkcs1 = AdminTls.privateKey(p1);
        assertThat(fromPkcs1).isEqualTo(pair.getPrivate());
    }

    @Test
    void readsEcKeys() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
        Path p = root.resolve("ec.pem");
        Files.writeString(p, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        assertThat(AdminTls.privateKey(p)).isEqualTo(pair.getPrivate());
    }

    @Test
    void encryptedOrMissingKeysAreRefusedSayingWhatToDo() throws Exception {
        Path enc = root.resolve("enc.pem");
        Files.writeString(enc, pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> AdminTls.privateKey(enc)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        Path none = root.resolve("cert-only.pem");
        Files.writeString(none, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> AdminTls.privateKey(none)).hasMessageContaining("holds no PEM private key");
        assertThatThrownBy(() -> AdminTls.privateKey(root.resolve("absent.pem"))).hasMessageContaining("cannot be read");
    }

    @Test
    void aHalfConfiguredOrBrokenTlsPairStopsTheStart() throws Exception {
        try (Worker w = TestWorkers.start(root.resolve("a"), "admin.address=127.0.0.1:0", "admin.tls.cert=/x/cert.pem")) {
            assertThatThrownBy(() -> AdminServer.start(w, Map.of(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("set both admin.tls.cert and admin.tls.key");
        }
        Path cert = root.resolve("not-a-cert.pem");
        Files.writeString(cert, "hello", StandardCharsets.US_ASCII);
        try (Worker w = TestWorkers.start(root.resolve("b"), "admin.address=127.0.0.1:0", "admin.tls.cert=" + cert,
                "admin.tls.key=" + cert)) {
            assertThatThrownBy(() -> AdminServer.start(w, Map.of(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("admin.tls.cert");
        }
    }

    /** The content of the last top-level element of a DER SEQUENCE (PKCS#8's privateKey OCTET STRING). */
    private static byte[] innerOctetString(byte[] der) {
        int i = headerLength(der, 0);
        int last = -1;
        while (i < der.length) {
            last = i;
            i += headerLength(der, i) + contentLength(der, i);
        }
        return Arrays.copyOfRange(der, last + headerLength(der, last), der.length);
    }

    private static int headerLength(byte[] der, int at) {
        int first = der[at + 1] & 0xff;
        return first < 0x80 ? 2 : 2 + (first & 0x7f);
    }

    private static int contentLength(byte[] der, int at) {
        int first = der[at + 1] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = 0;
        for (int k = 0; k < (first & 0x7f); k++) {
            n = (n << 8) | (der[at + 2 + k] & 0xff);
        }
        return n;
    }
}
