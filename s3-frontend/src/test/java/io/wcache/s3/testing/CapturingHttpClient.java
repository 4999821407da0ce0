package io.wcache.s3.testing;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An SDK HTTP client that sends nothing: it records each request exactly as the real S3 client
 * produced it (headers, signature, aws-chunked body) and answers with a canned response, which
 * lets tests feed real SDK requests to the server-side parsers and real server documents to the
 * SDK's own unmarshallers.
 */
public final class CapturingHttpClient implements SdkHttpClient {
    private final List<SdkSigned> requests = new ArrayList<>();
    private volatile Function<SdkSigned, byte[]> responder = r -> new byte[0];
    private volatile Map<String, String> responseHeaders = Map.of();
    private volatile int status = 200;

    /** An S3 client (path-style, 127.0.0.1 endpoint, test credentials) that uses {@code http}. */
    public static S3Client s3Client(CapturingHttpClient http) {
        return S3Client.builder()
                .httpClient(http)
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:9000"))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)))
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(10)).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    /** Sets the body of the next responses. */
    public void respond(Function<SdkSigned, byte[]> responder, Map<String, String> headers) {
        respond(200, responder, headers);
    }

    /** Sets the status and body of the next responses. */
    public void respond(int status, Function<SdkSigned, byte[]> responder, Map<String, String> headers) {
        this.status = status;
        this.responder = responder;
        this.responseHeaders = headers;
    }

    /** The requests seen so far. */
    public synchronized List<SdkSigned> requests() {
        return List.copyOf(requests);
    }

    /** The last request seen. */
    public synchronized SdkSigned last() {
        return requests.get(requests.size() - 1);
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                byte[] body = null;
                if (request.contentStreamProvider().isPresent()) {
                    try (InputStream in = request.contentStreamProvider().get().newStream()) {
                        body = in.readAllBytes();
                    }
                }
                SdkSigned seen = SdkSigned.from(request.httpRequest(), body);
                synchronized (CapturingHttpClient.this) {
                    requests.add(seen);
                }
                byte[] answer = responder.apply(seen);
                SdkHttpResponse.Builder rb = SdkHttpResponse.builder().statusCode(status);
                responseHeaders.forEach(rb::putHeader);
                rb.putHeader("Content-Length", Integer.toString(answer.length));
                return HttpExecuteResponse.builder().response(rb.build())
                        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(answer))).build();
            }

            @Override
            public void abort() {
                // nothing in flight
            }
        };
    }

    @Override
    public void close() {
        // nothing to release
    }

    /** Headers of a captured request as a fresh Netty header set (for mutation in tests). */
    public static HttpHeaders copy(HttpHeaders h) {
        return new DefaultHttpHeaders().add(h);
    }
}
