package io.wcache.properties.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.config.WcacheConfig;
import io.wcache.properties.support.Bounded;
import io.wcache.properties.support.SoakTries;
import io.wcache.worker.S3Frontend;
import io.wcache.worker.Worker;
import io.wcache.worker.WorkerOptions;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile request heads, query strings and bodies (aws-chunked framing included) against the
 * real S3 endpoint: a worker's Netty server over the embedded engine and a local UFS, with and
 * without signature checks, over real sockets. Every answer is a well-formed S3 response: a
 * success, or an XML error document (never a 500) whose message names no server path; nothing
 * hangs; a request pipelined behind the hostile one on the same connection is still answered
 * correctly; and no reader stays pinned afterwards.
 */
@SoakTries
class S3EndpointFuzzProperties {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) .*");
    private static final Pattern ERROR_DOC = Pattern.compile(
            "(?s)<\\?xml version=\"1\\.0\" encoding=\"UTF-8\"\\?>\\s*<Error><Code>[A-Za-z0-9]+</Code><Message>.*</Message>.*</Error>\\s*");
    /** An object no fuzzed request can name (its letters are outside the generated keys): the pipelined probe reads it. */
    private static final String STABLE = "/m/probe/stable";
    private static final byte[] KNOWN = "known object body".getBytes(StandardCharsets.UTF_8);

    static Path root;
    static Worker signed;
    static Worker open;
    static int signedPort;
    static int openPort;
    static String uploadId = "none";

    @BeforeContainer
    static void start() throws IOException {
        root = Files.createTempDirectory("s3-endpoint-fuzz");
        int[] ports = new int[2];
        signed = worker(root.resolve("signed"), ports, 0, "s3.credentials=[{accessKey: fuzz, secretKey: fuzz-secret-key}]");
        open = worker(root.resolve("open"), ports, 1, "s3.auth=none");
        signedPort = ports[0];
        openPort = ports[1];
        for (int port : ports) {
            for (String key : List.of("/m/f/known", STABLE)) {
                exchange(port, "PUT " + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + KNOWN.length
                        + "\r\n\r\n", KNOWN);
            }
        }
        String created = exchange(openPort, "POST /m/f/mp?uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                new byte[0]).text();
        var m = Pattern.compile("<UploadId>([^<]+)</UploadId>").matcher(created);
        if (m.find()) {
            uploadId = m.group(1);
            exchange(openPort, "PUT /m/f/mp?partNumber=1&uploadId=" + uploadId + " HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: " + KNOWN.length + "\r\n\r\n", KNOWN);
        }
    }

    @AfterContainer
    static void stop() {
        if (signed != null) {
            signed.close();
        }
        if (open != null) {
            open.close();
        }
    }

    static Worker worker(Path dir, int[] ports, int slot, String... sets) {
        String yaml = "data.dir: " + dir.toAbsolutePath() + "\n"
                + "cache.capacity: 256MiB\n"
                + "s3.address: 127.0.0.1:0\n"
                + "admin.address: 127.0.0.1:0\n"
                + "path.default.policy: WRITE_BACK\n"
                + "mounts:\n  - path: /m\n    ufs: " + dir.resolve("ufs").toAbsolutePath().toUri() + "\n";
        WcacheConfig cfg = WcacheConfig.fromYaml(yaml, "fuzz config", List.of(sets));
        var factory = S3Frontend.customized(c -> c.withIdleTimeout(Duration.ofSeconds(2))
                .withRequestHeaderTimeout(Duration.ofSeconds(5)));
        return Worker.start(cfg, WorkerOptions.defaults().withPersister(false).withSegmentSize(4L << 20),
                List.of(w -> {
                    S3Frontend f = (S3Frontend) factory.start(w);
                    ports[slot] = f.address().getPort();
                    return f;
                }));
    }

    /** A request: head lines, a body and how it is framed. */
    record Fuzzed(String method, String target, List<Map.Entry<String, String>> headers, byte[] body, Framing framing) {
        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n").getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, String> h : headers) {
                out.writeBytes((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            switch (framing) {
                case LENGTH -> out.writeBytes(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                case HTTP_CHUNKED -> out.writeBytes("Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                case NONE -> out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (framing == Framing.HTTP_CHUNKED) {
                if (body.length > 0) {
                    out.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.writeBytes(body);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (framing == Framing.LENGTH) {
                out.writeBytes(body);
            }
            return out.toByteArray();
        }

        boolean head() {
            return method.equals("HEAD");
        }

        @Override
        public String toString() {
            return new String(bytes(), StandardCharsets.ISO_8859_1);
        }
    }

    enum Framing { LENGTH, HTTP_CHUNKED, NONE }

    private static final List<String> HEADER_NAMES = List.of("Authorization", "x-amz-content-sha256", "x-amz-date",
            "Content-MD5", "Content-Encoding", "x-amz-decoded-content-length", "Range", "x-amz-checksum-crc32",
            "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "x-amz-trailer", "Expect", "x-amz-meta-a",
            "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "x-amz-copy-source",
            "x-amz-copy-source-range", "x-amz-copy-source-if-match", "Content-Type", "x-amz-acl",
            "x-amz-metadata-directive", "Connection", "Cache-Control", "Content-Disposition", "Expires",
            "x-amz-tagging", "Date");

    private static final List<String> HEADER_VALUES = List.of("", "UNSIGNED-PAYLOAD",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "aws-chunked",
            "aws-chunked,gzip", "100-continue", "-1", "0", "5", "99999999999999999999", "bytes=0-", "bytes=-5",
            "bytes=5-1", "bytes=0-1,3-4", "bytes=9999999999-", "*", "\"abc\"", "20260102T030405Z",
            "Mon, 02 Jan 2026 03:04:05 GMT", "close", "keep-alive",
            "AWS4-HMAC-SHA256 Credential=fuzz/20260102/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="
                    + "0".repeat(64),
            "AWS4-HMAC-SHA256 Credential=fuzz/x, SignedHeaders=, Signature=zz", "AWS fuzz:c2ln", "x-amz-checksum-crc32",
            "CRC32", "SHA256", "AAAAAA==", "1B2M2Y8AsgTpgAmY7PhCfg==", "/m/f/known", "m/f/known", "/m/f/known?versionId=1",
            "/nosuch/k", "/m/../../etc/passwd", "%2Fm%2Ff%2Fknown", "bytes=0-3", "REPLACE", "COPY", "bogus",
            "=?UTF-8?B?w6k=?=", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    private static final List<String> QUERY_PARTS = List.of("uploads", "uploadId=UPLOAD", "uploadId=bogus",
            "partNumber=1", "partNumber=0", "partNumber=10001", "partNumber=-1", "partNumber=99999999999",
            "partNumber=x", "max-keys=0", "max-keys=-1", "max-keys=1001", "max-keys=abc", "max-parts=0",
            "max-parts=-5", "max-uploads=0", "part-number-marker=x", "part-number-marker=3", "list-type=2",
            "list-type=3", "continuation-token=%ZZ", "continuation-token=AAAA", "prefix=f/", "delimiter=/",
            "delimiter=", "start-after=%FF", "marker=f", "encoding-type=url", "encoding-type=bogus", "delete",
            "acl", "tagging", "versioning", "location", "versionId=1", "versions", "response-content-type=text/x",
            "response-content-disposition=a%0D%0AX-Injected:%201", "response-expires=%00",
            "response-cache-control=%0A", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Expires=604801",
            "X-Amz-Credential=fuzz%2F20260102%2Fus-east-1%2Fs3%2Faws4_request", "X-Amz-Signature=00",
            "X-Amz-SignedHeaders=host", "X-Amz-Date=20260102T030405Z", "AWSAccessKeyId=fuzz",
            "Expires=999999999999", "Signature=abc%2B", "x-id=GetObject", "%", "=", "&&", "a=%C3%28");

    @Provide
    Arbitrary<Fuzzed> requests() {
        // An S3 operation's shape (method, resource, base query), then hostile additions.
        Arbitrary<String[]> shape = Arbitraries.of(
                new String[] {"GET", "/m/f/known", ""}, new String[] {"HEAD", "/m/f/known", ""},
                new String[] {"GET", "/m/f/mp", "uploadId=UPLOAD"}, new String[] {"PUT", "/m/f/mp", "partNumber=2&uploadId=UPLOAD"},
                new String[] {"POST", "/m/f/mp", "uploadId=UPLOAD"}, new String[] {"POST", "/m/f/other", "uploads"},
                new String[] {"GET", "/m", "list-type=2"}, new String[] {"GET", "/m", ""}, new String[] {"GET", "/m", "uploads"},
                new String[] {"GET", "/", ""}, new String[] {"PUT", "/m/f/new", ""}, new String[] {"DELETE", "/m/f/new", ""},
                new String[] {"POST", "/m", "delete"}, new String[] {"PUT", "/fuzzbucket", ""}, new String[] {"HEAD", "/m", ""});
        Arbitrary<String> anyMethod = Arbitraries.of("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", "get");
        Arbitrary<String> anyKey = Arbitraries.oneOf(
                Arbitraries.of("/m/", "/", "/nosuch/k", "/m/%ff%fe", "/m/a//b", "/m/..", "/m/f/%00", "/M/k",
                        "/m/" + "k".repeat(1100), "/m/f%2Fknown", "/m/f/known"),
                Arbitraries.strings().withChars("ab/%2F09.~é+ ").ofMaxLength(24).map(k -> "/m/" + k));
        Arbitrary<String[]> randomShape = Combinators.combine(anyMethod, anyKey).as((m, k) -> new String[] {m, k, ""});
        Arbitrary<String[]> op = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, shape),
                net.jqwik.api.Tuple.of(1, randomShape));
        Arbitrary<String> extra = Arbitraries.of(QUERY_PARTS).list().ofMaxSize(3).map(l -> String.join("&", l));
        Arbitrary<String[]> target = Combinators.combine(op, extra).as((o, x) -> {
            String q = o[2].isEmpty() ? x : x.isEmpty() ? o[2] : o[2] + "&" + x;
            return new String[] {o[0], o[1] + (q.isEmpty() ? "" : "?" + q)};
        });
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of(HEADER_VALUES),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(30));
        Arbitrary<Map.Entry<String, String>> header = Combinators.combine(
                Arbitraries.oneOf(Arbitraries.of(HEADER_NAMES), Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6)),
                value).as(Map::entry);
        Arbitrary<byte[]> body = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(64),
                Arbitraries.of("", "5\r\nhello\r\n0\r\n\r\n", "5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n",
                        "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "ffffffffffffffff\r\nhello\r\n",
                        "1\r\na\r\n1\r\nb\r\n0\r\n\r\n", "5\r\nhel", "0\r\nx-amz-trailer-signature:00\r\n\r\n",
                        "<Delete><Object><Key>f/known</Key></Object></Delete>",
                        "<Delete><Object><Key></Key></Object><Quiet>maybe</Quiet></Delete>",
                        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Delete>&e;</Delete>",
                        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>",
                        "<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
                        "<CreateBucketConfiguration><LocationConstraint>x</LocationConstraint></CreateBucketConfiguration>")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)));
        Arbitrary<Framing> framing = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(6, Framing.LENGTH), net.jqwik.api.Tuple.of(2, Framing.HTTP_CHUNKED),
                net.jqwik.api.Tuple.of(1, Framing.NONE));
        return Combinators.combine(target, header.list().ofMaxSize(5), body, framing)
                .as((t, h, b, f) -> new Fuzzed(t[0], t[1].replace("UPLOAD", uploadId), h, b, f));
    }

    @Property(tries = 1500)
    void everyAnswerIsAWellFormedS3ResponseAndTheConnectionStaysSound(@ForAll("requests") Fuzzed request,
                                                                      @ForAll boolean signatures) throws Exception {
        int port = signatures ? signedPort : openPort;
        Worker w = signatures ? signed : open;
        Bounded.call("fuzzed request", Duration.ofSeconds(30), () -> {
            check(port, request);
            return null;
        });
        for (int i = 0; i < 500 && w.readerPins().pinnedFiles() > 0; i++) {
            Thread.sleep(10);
        }
        assertThat(w.readerPins().pinnedFiles()).as("files pinned after %s", request).isZero();
    }

    private static void check(int port, Fuzzed request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(request.bytes());
            // A known-good request pipelined behind: answered, and correctly, unless the server closed.
            out.write(("GET " + STABLE + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            Response r;
            try {
                do {
                    r = read(in, request.head());
                } while (r.status == 100);
            } catch (EOFException | SocketException e) {
                // Only a body that cannot end (a truncated aws-chunked or unframed body read to the close) may go unanswered.
                throw new AssertionError("no answer to: " + request, e);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer within 15 s (hang) to: " + request, e);
            }
            assertWellFormed(r, request);
            if ("close".equalsIgnoreCase(r.headers.get("connection"))) {
                return;
            }
            Response next;
            try {
                next = read(in, false);
            } catch (EOFException | SocketException e) {
                return; // the server may close after an error that left the body unread
            } catch (SocketTimeoutException e) {
                throw new AssertionError("pipelined request unanswered (hang) after: " + request, e);
            }
            if (next.status == 200) {
                assertThat(new String(next.body, StandardCharsets.UTF_8)).as("pipelined GET after %s", request)
                        .isEqualTo(new String(KNOWN, StandardCharsets.UTF_8));
            } else {
                // The hostile request's body was taken as the start of the next request: an S3 or HTTP error.
                assertWellFormed(next, request);
            }
        }
    }

    private static void assertWellFormed(Response r, Fuzzed request) {
        assertThat(r.status).as("status of %s", request).isNotEqualTo(500).isBetween(200, 599);
        assertThat(r.status / 100 == 5 ? r.status == 501 || r.status == 503 : true)
                .as("5xx %d for %s", r.status, request).isTrue();
        if (r.status >= 300 && r.status != 304 && !request.head()) {
            String body = new String(r.body, StandardCharsets.UTF_8);
            assertThat(r.headers.get("content-type")).as("error type for %s", request).isEqualTo("application/xml");
            assertThat(ERROR_DOC.matcher(body).matches()).as("error document %s for %s", body, request).isTrue();
            assertThat(body).as("error names a server path, for %s", request)
                    .doesNotContain(root.toString()).doesNotContain("/etc/passwd:").doesNotContain("file:/");
        }
    }

    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Response exchange(int port, String head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(body);
            return read(s.getInputStream(), false);
        }
    }

    static Response read(InputStream in, boolean head) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new EOFException("closed before a response");
        }
        var m = STATUS_LINE.matcher(status);
        assertThat(m.matches()).as("status line '%s'", status).isTrue();
        Map<String, String> headers = new TreeMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int c = l.indexOf(':');
            assertThat(c).as("header line '%s'", l).isPositive();
            headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
        }
        int code = Integer.parseInt(m.group(1));
        byte[] body = new byte[0];
        if (!head && code != 100 && code != 204 && code != 304) {
            String len = headers.get("content-length");
            assertThat(len).as("Content-Length of a %d response", code).isNotNull();
            body = in.readNBytes(Integer.parseInt(len));
            if (body.length < Integer.parseInt(len)) {
                throw new EOFException("short body");
            }
        }
        return new Response(code, headers, body);
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }
}
