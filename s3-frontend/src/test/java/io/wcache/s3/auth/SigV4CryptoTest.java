package io.wcache.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The derived signing key, now kept per secret and scope, and the reused HMAC instance. */
class SigV4CryptoTest {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static byte[] freshHmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] freshSigningKey(String secret, String date, String region, String service) throws Exception {
        byte[] k = freshHmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        return freshHmac(freshHmac(freshHmac(k, region), service), "aws4_request");
    }

    @Test
    void theSigningKeyIsAwsDocumentedValueAndStaysSoWhenReused() {
        // AWS's "Examples of how to derive a signing key" (secret above, 20120215, us-east-1, iam).
        String expected = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d";
        byte[] first = SigV4Crypto.signingKey(SECRET, "20120215", "us-east-1", "iam");
        assertThat(SigV4Crypto.hex(first)).isEqualTo(expected);
        first[0] ^= 1; // a caller scribbling on its copy does not reach the next caller's
        assertThat(SigV4Crypto.hex(SigV4Crypto.signingKey(SECRET, "20120215", "us-east-1", "iam"))).isEqualTo(expected);
    }

    @Test
    void eachSecretAndScopeGetsItsOwnKeyBeyondWhatTheCacheHolds() throws Exception {
        String[] dates = {"20120215", "20120216"};
        String[] regions = {"us-east-1", "eu-west-1"};
        for (int round = 0; round < 2; round++) {
            for (int s = 0; s < 40; s++) {
                for (String date : dates) {
                    for (String region : regions) {
                        String secret = SECRET + s;
                        assertThat(SigV4Crypto.signingKey(secret, date, region, "s3")).as(secret + date + region)
                                .isEqualTo(freshSigningKey(secret, date, region, "s3"));
                    }
                }
            }
        }
    }

    @Test
    void theReusedMacMatchesAFreshOneForEveryKeyAndMessage() throws Exception {
        for (int i = 0; i < 50; i++) {
            byte[] key = MessageDigest.getInstance("SHA-256").digest(("k" + i).getBytes(StandardCharsets.UTF_8));
            String data = "m".repeat(i);
            assertThat(SigV4Crypto.hmacSha256(key, data)).isEqualTo(freshHmac(key, data));
        }
    }
}
