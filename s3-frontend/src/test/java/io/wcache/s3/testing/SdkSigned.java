package io.wcache.s3.testing;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * A request signed by the real AWS SDK signer, in the shape a Netty server receives it: method,
 * request target, headers and the exact body bytes (aws-chunked framing included).
 */
public record SdkSigned(String method, String uri, HttpHeaders headers, byte[] body) {

    public static final String ACCESS_KEY = "AKIDWCACHETEST";
    public static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    public static final String REGION = "us-east-1";

    /** Options of one signing. */
    public record Options(boolean payloadSigning, boolean chunked, ChecksumAlgorithm checksum, String secret,
                          Instant time) {
        public static Options plain(Instant time) {
            return new Options(true, false, null, SECRET_KEY, time);
        }
    }

    /** Signs {@code method url} with extra headers and a body using {@link AwsV4HttpSigner}. */
    public static SdkSigned sign(SdkHttpMethod method, String url, Map<String, String> extraHeaders, byte[] body,
                                 Options o) {
        URI u = URI.create(url);
        SdkHttpRequest.Builder rb = SdkHttpRequest.builder().method(method).uri(u);
        extraHeaders.forEach(rb::putHeader);
        if (body != null) {
            rb.putHeader("Content-Length", Integer.toString(body.length));
        }
        SdkHttpRequest req = rb.build();
        ContentStreamProvider payload = body == null ? null : () -> new ByteArrayInputStream(body);
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
            r.identity(AwsBasicCredentials.create(ACCESS_KEY, o.secret()))
                    .request(req)
                    .payload(payload)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, o.payloadSigning())
                    .putProperty(AwsV4HttpSigner.CHUNK_ENCODING_ENABLED, o.chunked())
                    .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(o.time(), ZoneOffset.UTC));
            if (o.checksum() != null) {
                r.putProperty(AwsV4HttpSigner.CHECKSUM_ALGORITHM, o.checksum());
            }
        });
        return from(signed.request(), signed.payload().map(SdkSigned::readAll).orElse(null));
    }

    /** Converts an SDK request (e.g. a presigned one) to what a server sees. */
    public static SdkSigned from(SdkHttpRequest r, byte[] body) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (Map.Entry<String, List<String>> e : r.headers().entrySet()) {
            for (String v : e.getValue()) {
                h.add(e.getKey(), v);
            }
        }
        if (!h.contains("Host")) {
            int port = r.port();
            boolean defaultPort = port == -1 || (r.protocol().equals("http") && port == 80)
                    || (r.protocol().equals("https") && port == 443);
            h.set("Host", r.host() + (defaultPort ? "" : ":" + port));
        }
        URI uri = r.getUri();
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return new SdkSigned(r.method().name(), target, h, body);
    }

    private static byte[] readAll(ContentStreamProvider p) {
        try (InputStream in = p.newStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
