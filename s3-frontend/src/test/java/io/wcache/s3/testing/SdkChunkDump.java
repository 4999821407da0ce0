package io.wcache.s3.testing;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

public final class SdkChunkDump {
    @org.junit.jupiter.api.Test
    void dump() { main(new String[0]); }

    public static void main(String[] args) {
        byte[] body = "hello world, this is the body".getBytes(StandardCharsets.UTF_8);
        Instant t = Instant.parse("2026-01-02T03:04:05Z");
        for (var o : new SdkSigned.Options[] {
                new SdkSigned.Options(true, true, null, SdkSigned.SECRET_KEY, t),
                new SdkSigned.Options(false, true, DefaultChecksumAlgorithm.CRC32, SdkSigned.SECRET_KEY, t),
                new SdkSigned.Options(true, true, DefaultChecksumAlgorithm.CRC32C, SdkSigned.SECRET_KEY, t),
                new SdkSigned.Options(true, false, null, SdkSigned.SECRET_KEY, t)}) {
            SdkSigned s = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/bucket/a%20b/c+d~e", Map.of(), body, o);
            System.out.println(s.method() + " " + s.uri());
            s.headers().forEach(e -> System.out.println("  " + e.getKey() + ": " + e.getValue()));
            System.out.println(new String(s.body(), StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n\n"));
            System.out.println("-----");
        }
    }
}
