package io.wcache.worker.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The admin API's TLS context from PEM files ({@code admin.tls.cert}, {@code admin.tls.key}),
 * with the JDK's own providers: the certificate chain through {@link CertificateFactory}, the key
 * as PKCS#8 ({@code BEGIN PRIVATE KEY}: RSA, EC or Ed25519) or PKCS#1 ({@code BEGIN RSA PRIVATE
 * KEY}, wrapped into PKCS#8 here). Encrypted and SEC1 EC keys are refused with the openssl command
 * that converts them; a library such as Bouncy Castle is not worth a dependency for that.
 */
final class AdminTls {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    private static final String CONVERT = "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem";

    private AdminTls() {
    }

    static SSLContext context(Path certFile, Path keyFile) {
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(certFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            chain = certs.toArray(Certificate[]::new);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("admin.tls.cert " + certFile + " is not a readable PEM certificate: " + e.getMessage(), e);
        }
        if (chain.length == 0) {
            throw new IllegalStateException("admin.tls.cert " + certFile + " holds no certificate");
        }
        PrivateKey key = privateKey(keyFile);
        try {
            char[] none = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("admin", key, none, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, none);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("admin.tls.key " + keyFile + " does not fit admin.tls.cert " + certFile + ": "
                    + e.getMessage(), e);
        }
    }

    static PrivateKey privateKey(Path keyFile) {
        String text;
        try {
            text = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("admin.tls.key " + keyFile + " cannot be read: " + e.getMessage(), e);
        }
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(keyFile, der);
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(keyFile, rsaPkcs1ToPkcs8(der));
                }
                case "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY" -> throw new IllegalStateException("admin.tls.key "
                        + keyFile + " is a " + type + "; the worker reads unencrypted PKCS#8 keys: " + CONVERT);
                default -> {
                    // e.g. EC PARAMETERS before the key: skip
                }
            }
        }
        throw new IllegalStateException("admin.tls.key " + keyFile + " holds no PEM private key (BEGIN PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(Path keyFile, byte[] der) {
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IllegalStateException("admin.tls.key " + keyFile + " is not an RSA, EC or Ed25519 key the JDK reads: "
                + CONVERT);
    }

    /** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey: version 0, rsaEncryption, the key as OCTET STRING. */
    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
                0x01, 0x05, 0x00};
        byte[] key = der(0x04, pkcs1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(key);
        return der(0x30, body.toByteArray());
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
