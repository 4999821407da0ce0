package io.wcache.s3.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The primitives of SigV4: SHA-256, HMAC-SHA256, lower-case hex, the derived signing key, and a
 * constant-time comparison of signatures (so that response timing reveals nothing about how
 * many leading characters of a forged signature were right).
 */
public final class SigV4Crypto {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** Hex SHA-256 of the empty string. */
    public static final String EMPTY_SHA256 = hex(sha256(new byte[0]));

    private SigV4Crypto() {
    }

    public static byte[] sha256(byte[] data) {
        return newSha256().digest(data);
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** One HMAC-SHA256 instance per thread, re-keyed per use: looking the algorithm up is most of a short MAC's cost. */
    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
    });

    /** Signing keys derived lately, by secret and scope; a key is valid for its scope's whole day. */
    private static final java.util.concurrent.ConcurrentHashMap<List<String>, byte[]> SIGNING_KEYS =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int SIGNING_KEYS_KEPT = 64;

    public static byte[] hmacSha256(byte[] key, String data) {
        Mac mac = HMAC.get();
        try {
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code kSigning} for a secret, a scope date ({@code yyyyMMdd}), a region and a service. The
     * four chained HMACs are done once per secret and scope: later requests of the same day reuse
     * the key (as the AWS SDKs' signers do); the cache holds at most {@value #SIGNING_KEYS_KEPT}
     * keys and starts over when full.
     */
    public static byte[] signingKey(String secret, String date, String region, String service) {
        List<String> scope = List.of(secret, date, region, service);
        byte[] cached = SIGNING_KEYS.get(scope);
        if (cached != null) {
            return cached.clone();
        }
        byte[] k = hmacSha256(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        k = hmacSha256(k, region);
        k = hmacSha256(k, service);
        k = hmacSha256(k, "aws4_request");
        if (SIGNING_KEYS.size() >= SIGNING_KEYS_KEPT) {
            SIGNING_KEYS.clear();
        }
        SIGNING_KEYS.put(scope, k.clone());
        return k;
    }

    public static String hex(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(out);
    }

    /** Compares two signatures in time independent of where they differ. */
    public static boolean signaturesEqual(String expected, String provided) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                provided.getBytes(StandardCharsets.US_ASCII));
    }
}
