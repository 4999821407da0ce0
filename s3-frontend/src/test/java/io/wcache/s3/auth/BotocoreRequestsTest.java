package io.wcache.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.s3.checksum.ChecksumSpec;
import io.wcache.s3.checksum.PayloadVerifier;
import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import io.wcache.s3.request.S3Operation;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.SdkSigned;
import io.wcache.s3.xml.S3Timestamps;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests recorded from botocore 1.43.11 (what awscli and boto3 send), see
 * {@code src/test/resources/botocore/record.py}: each verifies, and its body matches its
 * payload hash, Content-MD5 and flexible checksum.
 */
class BotocoreRequestsTest {
    static final S3RequestParser PARSER = new S3RequestParser(Set.of());

    record Recorded(String name, String method, String target, HttpHeaders headers, byte[] body) {
        @Override
        public String toString() {
            return name;
        }

        Instant signedAt() {
            String date = headers.get("X-Amz-Date");
            if (date == null) {
                int i = target.indexOf("X-Amz-Date=");
                date = target.substring(i + 11, i + 27);
            }
            return S3Timestamps.parseAmzDate(date).orElseThrow();
        }

        S3Request parse() {
            return PARSER.parse(method, target, headers);
        }
    }

    static List<Recorded> recorded() throws IOException {
        List<Recorded> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                BotocoreRequestsTest.class.getResourceAsStream("/botocore/requests.txt"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("### ")) {
                    continue;
                }
                String name = line.substring(4);
                String[] requestLine = r.readLine().split(" ", 2);
                HttpHeaders h = new DefaultHttpHeaders();
                while (!(line = r.readLine()).isEmpty()) {
                    int colon = line.indexOf(": ");
                    h.add(line.substring(0, colon), line.substring(colon + 2));
                }
                if (!h.contains("Host")) {
                    h.set("Host", "127.0.0.1:9000"); // added by the HTTP layer from the URL, and signed
                }
                byte[] body = Base64.getDecoder().decode(r.readLine().substring(6).trim());
                out.add(new Recorded(name, requestLine[0], requestLine[1], h, body));
            }
        }
        return out;
    }

    static Stream<Recorded> requests() throws IOException {
        return recorded().stream();
    }

    static SigV4Verifier verifierAt(Instant t) {
        return new SigV4Verifier(AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)),
                Clock.fixed(t, ZoneOffset.UTC));
    }

    @ParameterizedTest
    @MethodSource("requests")
    void botocoreRequestVerifiesWithItsBody(Recorded rec) {
        S3Request req = rec.parse();
        AuthResult auth = verifierAt(rec.signedAt()).verify(req);
        assertThat(auth.accessKey()).contains(SdkSigned.ACCESS_KEY);
        PayloadVerifier pv = new PayloadVerifier(req.contentMd5(), auth.expectedPayloadSha256(),
                ChecksumSpec.fromHeaders(req.headers()));
        pv.update(rec.body(), 0, rec.body().length);
        assertThat(pv.finish(Map.of()).length()).isEqualTo(rec.body().length);
    }

    @Test
    void botocoreRequestsParseToTheIntendedOperations() throws IOException {
        Map<String, S3Operation> ops = new LinkedHashMap<>();
        for (Recorded rec : recorded()) {
            ops.put(rec.name(), rec.parse().operation());
        }
        assertThat(ops).containsEntry("put we!rd*(chars)'&$@=;:,?#[]", S3Operation.PUT_OBJECT)
                .containsEntry("get range with override", S3Operation.GET_OBJECT)
                .containsEntry("list v2", S3Operation.LIST_OBJECTS_V2)
                .containsEntry("delete objects", S3Operation.DELETE_OBJECTS)
                .containsEntry("copy", S3Operation.COPY_OBJECT)
                .containsEntry("upload part", S3Operation.UPLOAD_PART)
                .containsEntry("presigned get", S3Operation.GET_OBJECT);
        Recorded weird = recorded().stream().filter(r -> r.name().startsWith("put we!rd")).findFirst().orElseThrow();
        assertThat(weird.parse().key()).contains("we!rd*(chars)'&$@=;:,?#[]");
        Recorded unicode = recorded().stream().filter(r -> r.name().startsWith("put ünï")).findFirst().orElseThrow();
        assertThat(unicode.parse().key()).contains("ünï/cödé ☃");
        Recorded list = recorded().stream().filter(r -> r.name().equals("list v2")).findFirst().orElseThrow();
        assertThat(list.parse().list().orElseThrow().prefix()).isEqualTo("dir/a b+");
        Recorded part = recorded().stream().filter(r -> r.name().equals("upload part")).findFirst().orElseThrow();
        assertThat(part.parse().uploadId()).contains("u 1");
    }

    @Test
    void alteredBotocoreBodyIsXAmzContentSha256Mismatch() throws IOException {
        Recorded rec = recorded().get(0);
        S3Request req = rec.parse();
        AuthResult auth = verifierAt(rec.signedAt()).verify(req);
        PayloadVerifier pv = new PayloadVerifier(req.contentMd5(), auth.expectedPayloadSha256(),
                ChecksumSpec.fromHeaders(req.headers()));
        byte[] body = rec.body().clone();
        body[0] ^= 1;
        pv.update(body, 0, body.length);
        assertThatThrownBy(() -> pv.finish(Map.of())).isInstanceOfSatisfying(S3Exception.class,
                e -> assertThat(e.code()).isEqualTo(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH));
    }
}
