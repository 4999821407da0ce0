package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the S3 endpoint treats connections, over raw sockets: pipelined requests are answered one
 * at a time and in order, and leave no reader pinned; HTTP/1.0 is kept alive only on request; a
 * request head trickled in (slowloris) or never sent is cut off after
 * {@code s3.request.header.timeout}; connections beyond {@code s3.max.connections} are answered
 * {@code 503 SlowDown}; S3's size limits are enforced on the head.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectionHandlingEndToEndTest {
    @TempDir
    static Path root;
    @TempDir
    static Path rootCapped;
    /** {@code s3.auth: none}, so raw requests need no signature; a one-second head deadline. */
    S3Rig rig;
    /** At most four connections. */
    S3Rig capped;
    final byte[] big = pattern(3 * 1024 * 1024 + 17, 1);
    final byte[] small = "small object".getBytes(StandardCharsets.UTF_8);
    final byte[] mid = pattern(300_001, 2);

    @BeforeAll
    void start() throws IOException {
        rig = new S3Rig(root, c -> c.withIdleTimeout(Duration.ofSeconds(30)), "s3.auth=none",
                "s3.request.header.timeout=1s");
        capped = new S3Rig(rootCapped, c -> c.withIdleTimeout(Duration.ofSeconds(30)), "s3.auth=none",
                "s3.max.connections=4");
        put(rig, "p/big", big);
        put(rig, "p/small", small);
        put(rig, "p/mid", mid);
        put(capped, "c/one", small);
    }

    @AfterAll
    void stop() {
        rig.close();
        capped.close();
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    static Socket connect(S3Rig r) throws IOException {
        Socket s = new Socket("127.0.0.1", r.port());
        s.setSoTimeout(20_000);
        return s;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static void put(S3Rig r, String key, byte[] body) throws IOException {
        try (Socket s = connect(r)) {
            OutputStream out = s.getOutputStream();
            out.write(ascii("PUT /m/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n"));
            out.write(body);
            out.flush();
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(200);
        }
    }

    /** Waits (bounded) until no file is pinned by a reader or upload. */
    static void awaitNoPins(S3Rig r) throws InterruptedException {
        for (int i = 0; i < 500 && r.worker.readerPins().pinnedFiles() > 0; i++) {
            Thread.sleep(10);
        }
        assertThat(r.worker.readerPins().pinnedFiles()).as("files still pinned by readers").isZero();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOneAtATime() throws Exception {
        try (Socket s = connect(rig)) {
            OutputStream out = s.getOutputStream();
            // All in one write: a large GET, a small one, a HEAD, a miss, a range, a PUT and a GET of what it wrote.
            String reqs = "GET /m/p/big HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /m/p/small HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "HEAD /m/p/mid HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /m/p/missing HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /m/p/mid HTTP/1.1\r\nHost: x\r\nRange: bytes=100-199\r\n\r\n"
                    + "PUT /m/p/new HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /m/p/new HTTP/1.1\r\nHost: x\r\n\r\n";
            out.write(ascii(reqs));
            out.flush();
            InputStream in = s.getInputStream();
            RawHttp.Response r1 = RawHttp.read(in, false);
            assertThat(r1.status()).isEqualTo(200);
            assertThat(r1.body()).isEqualTo(big);
            RawHttp.Response r2 = RawHttp.read(in, false);
            assertThat(r2.body()).isEqualTo(small);
            RawHttp.Response r3 = RawHttp.read(in, true);
            assertThat(r3.status()).isEqualTo(200);
            assertThat(r3.header("Content-Length")).isEqualTo(Integer.toString(mid.length));
            RawHttp.Response r4 = RawHttp.read(in, false);
            assertThat(r4.status()).isEqualTo(404);
            assertThat(r4.text()).contains("<Code>NoSuchKey</Code>");
            RawHttp.Response r5 = RawHttp.read(in, false);
            assertThat(r5.status()).isEqualTo(206);
            assertThat(r5.body()).isEqualTo(Arrays.copyOfRange(mid, 100, 200));
            assertThat(RawHttp.read(in, false).status()).isEqualTo(200);
            RawHttp.Response r7 = RawHttp.read(in, false);
            assertThat(r7.status()).isEqualTo(200);
            assertThat(r7.text()).isEqualTo("hello");
            // The connection is still usable.
            out.write(ascii("GET /m/p/small HTTP/1.1\r\nHost: x\r\n\r\n"));
            out.flush();
            assertThat(RawHttp.read(in, false).body()).isEqualTo(small);
        }
        awaitNoPins(rig);
    }

    @Test
    void pipelinedGetsOnAConnectionClosedMidwayLeaveNoReaderPinned() throws Exception {
        for (int round = 0; round < 5; round++) {
            try (Socket s = connect(rig)) {
                StringBuilder reqs = new StringBuilder();
                for (int i = 0; i < 20; i++) {
                    reqs.append("GET /m/p/big HTTP/1.1\r\nHost: x\r\n\r\n");
                }
                s.getOutputStream().write(ascii(reqs.toString()));
                s.getOutputStream().flush();
                RawHttp.Response first = RawHttp.read(s.getInputStream(), false);
                assertThat(first.body()).isEqualTo(big);
                s.setSoLinger(true, 0); // reset: the server sees the connection die mid-stream
            }
        }
        awaitNoPins(rig);
    }

    @Test
    void http10RequestIsNotKeptAliveUnlessItAsks() throws Exception {
        try (Socket s = connect(rig)) {
            s.getOutputStream().write(ascii("GET /m/p/small HTTP/1.0\r\nHost: x\r\n\r\n"));
            InputStream in = s.getInputStream();
            RawHttp.Response r = RawHttp.read(in, false);
            assertThat(r.body()).isEqualTo(small);
            assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(in.read()).as("connection closed after an HTTP/1.0 response").isEqualTo(-1);
        }
        try (Socket s = connect(rig)) {
            InputStream in = s.getInputStream();
            for (int i = 0; i < 2; i++) {
                s.getOutputStream().write(ascii("GET /m/p/small HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"));
                RawHttp.Response r = RawHttp.read(in, false);
                assertThat(r.body()).isEqualTo(small);
                assertThat(r.header("Connection")).isEqualToIgnoringCase("keep-alive");
            }
        }
    }

    /** Reads until the server closes the connection; false when it is still open after {@code rounds} reads. */
    static boolean closedByServer(Socket s, int rounds, byte[] trickle) throws IOException {
        s.setSoTimeout(200);
        InputStream in = s.getInputStream();
        for (int i = 0; i < rounds; i++) {
            try {
                if (in.read() == -1) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // still open: keep trickling
            } catch (SocketException e) {
                return true;
            }
            if (trickle != null) {
                try {
                    s.getOutputStream().write(trickle);
                    s.getOutputStream().flush();
                } catch (SocketException e) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void slowlorisHeadIsCutOffAfterTheHeaderTimeout() throws Exception {
        try (Socket s = connect(rig)) {
            s.getOutputStream().write(ascii("GET /m/p/small HTTP/1.1\r\nHost: x\r\n"));
            // One header byte every 200 ms keeps the idle timeout from ever firing; 100 rounds = 20 s.
            assertThat(closedByServer(s, 100, ascii("X"))).as("slowloris connection closed").isTrue();
        }
        try (Socket s = connect(rig)) {
            assertThat(closedByServer(s, 100, null)).as("silent new connection closed").isTrue();
        }
        // Between requests the clock starts at the next head's first byte.
        try (Socket s = connect(rig)) {
            s.getOutputStream().write(ascii("GET /m/p/small HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertThat(RawHttp.read(s.getInputStream(), false).body()).isEqualTo(small);
            s.getOutputStream().write(ascii("GET /m/p/small HTTP/1.1\r\n"));
            assertThat(closedByServer(s, 100, ascii("Y"))).as("second slow head cut off").isTrue();
        }
    }

    @Test
    void connectionsBeyondTheCapAreAnsweredSlowDown() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket s = connect(capped);
                held.add(s);
                s.getOutputStream().write(ascii("GET /m/c/one HTTP/1.1\r\nHost: x\r\n\r\n"));
                assertThat(RawHttp.read(s.getInputStream(), false).body()).isEqualTo(small);
            }
            try (Socket s = connect(capped)) {
                s.getOutputStream().write(ascii("GET /m/c/one HTTP/1.1\r\nHost: x\r\n\r\n"));
                RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.text()).contains("<Code>SlowDown</Code>");
                assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            held.remove(0).close();
            // The closed connection's slot frees once the server has seen the close.
            int status = 0;
            for (int i = 0; i < 200 && status != 200; i++) {
                try (Socket s = connect(capped)) {
                    s.getOutputStream().write(ascii("GET /m/c/one HTTP/1.1\r\nHost: x\r\n\r\n"));
                    status = RawHttp.read(s.getInputStream(), false).status();
                }
            }
            assertThat(status).isEqualTo(200);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void sizeLimitsAreCheckedOnTheHead() throws Exception {
        String[][] cases = {
            {"PUT /m/l/huge HTTP/1.1\r\nHost: x\r\nContent-Length: " + ((5L << 40) + 1) + "\r\n\r\n", "400",
                "EntityTooLarge"},
            {"PUT /m/l/part?partNumber=1&uploadId=u1 HTTP/1.1\r\nHost: x\r\nContent-Length: " + ((5L << 30) + 1)
                + "\r\n\r\n", "400", "EntityTooLarge"},
            {"PUT /m/l/part?partNumber=10001&uploadId=u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n", "400",
                "InvalidArgument"},
            {"GET /m/p/small?response-content-disposition=a%0D%0ASet-Cookie:%20x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                "400", "InvalidArgument"},
            {"GET /m/l/part?uploadId=u1&part-number-marker=abc HTTP/1.1\r\nHost: x\r\n\r\n", "400",
                "InvalidArgument"},
        };
        for (String[] c : cases) {
            try (Socket s = connect(rig)) {
                s.getOutputStream().write(ascii(c[0]));
                RawHttp.Response r = RawHttp.read(s.getInputStream(), c[0].startsWith("HEAD"));
                assertThat(r.status()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
                assertThat(r.text()).as(c[0]).contains("<Code>" + c[2] + "</Code>");
            }
        }
        // The 5 TiB object was refused before a byte of it was stored.
        try (Socket s = connect(rig)) {
            s.getOutputStream().write(ascii("HEAD /m/l/huge HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertThat(RawHttp.read(s.getInputStream(), true).status()).isEqualTo(404);
        }
    }

    @Test
    void listPartsWithMaxPartsZeroIsAnEmptyPageNotAnInternalError() throws Exception {
        try (var client = rig.client()) {
            String uploadId = client.createMultipartUpload(b -> b.bucket(S3Rig.BUCKET).key("l/mp")).uploadId();
            client.uploadPart(b -> b.bucket(S3Rig.BUCKET).key("l/mp").uploadId(uploadId).partNumber(1),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(small));
            try (Socket s = connect(rig)) {
                s.getOutputStream().write(ascii("GET /m/l/mp?uploadId=" + uploadId + "&max-parts=0 HTTP/1.1\r\nHost: x\r\n\r\n"));
                RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(r.text()).contains("<IsTruncated>true</IsTruncated>").doesNotContain("<Part>");
            }
            client.abortMultipartUpload(b -> b.bucket(S3Rig.BUCKET).key("l/mp").uploadId(uploadId));
        }
    }

    @Test
    void errorTextsNameNoServerPath() throws Exception {
        Path ufs = java.nio.file.Files.createDirectories(io.wcache.worker.TestWorkers.ufsDir(root));
        Path outside = java.nio.file.Files.createDirectories(root.resolve("outside"));
        java.nio.file.Files.writeString(outside.resolve("secret.txt"), "outside the UFS");
        java.nio.file.Files.createSymbolicLink(ufs.resolve("escape"), outside);
        for (String target : List.of("/m/escape/secret.txt", "/m/escape/")) {
            try (Socket s = connect(rig)) {
                s.getOutputStream().write(ascii("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
                assertThat(r.status()).as(r.text()).isBetween(400, 499);
                assertThat(r.text()).doesNotContain(root.toString()).doesNotContain("file:");
            }
        }
    }
}
