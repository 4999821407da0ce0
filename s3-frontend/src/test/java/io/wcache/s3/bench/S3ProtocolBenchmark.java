package io.wcache.s3.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.wcache.s3.auth.AuthMode;
import io.wcache.s3.auth.AuthResult;
import io.wcache.s3.auth.SigV4Verifier;
import io.wcache.s3.checksum.ChecksumSpec;
import io.wcache.s3.checksum.PayloadVerifier;
import io.wcache.s3.chunked.AwsChunkedDecoder;
import io.wcache.s3.request.S3Request;
import io.wcache.s3.request.S3RequestParser;
import io.wcache.s3.testing.SdkSigned;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * Throughput of the S3 protocol layer on one core: decoding and verifying request bodies as the
 * AWS SDK sends them (signed chunks with a CRC32C trailer; unsigned chunks with a trailer; a plain
 * body with a SHA-256 payload hash), against same-run baselines: SHA-256, which a signed payload
 * cannot avoid, and MD5, the ETag's digest, which the write session computes once whatever the
 * protocol (the protocol layer computes MD5 only to check a {@code Content-MD5} header), and the
 * cost of verifying one header-signed request. Run:
 * {@code mvn -B -ntp -o -q -pl s3-frontend test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test -Dexec.mainClass=io.wcache.s3.bench.S3ProtocolBenchmark}
 */
public final class S3ProtocolBenchmark {
    static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
    static final int SIZE = 32 << 20;
    static final int ROUNDS = 7;
    static final int FEED = 64 << 10;

    public static void main(String[] args) throws Exception {
        byte[] payload = new byte[SIZE];
        new Random(1).nextBytes(payload);
        SigV4Verifier verifier = new SigV4Verifier(AuthMode.SigV4.of(Map.of(SdkSigned.ACCESS_KEY, SdkSigned.SECRET_KEY)),
                Clock.fixed(T, ZoneOffset.UTC));
        S3RequestParser parser = new S3RequestParser(Set.of());
        SdkSigned signed = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/b/k", Map.of(), payload,
                new SdkSigned.Options(true, true, DefaultChecksumAlgorithm.CRC32C, SdkSigned.SECRET_KEY, T));
        SdkSigned unsigned = SdkSigned.sign(SdkHttpMethod.PUT, "https://127.0.0.1:9000/b/k", Map.of(), payload,
                new SdkSigned.Options(false, true, DefaultChecksumAlgorithm.CRC32C, SdkSigned.SECRET_KEY, T));
        SdkSigned sha = SdkSigned.sign(SdkHttpMethod.PUT, "http://127.0.0.1:9000/b/k", Map.of(), payload,
                SdkSigned.Options.plain(T));

        double[] md5 = rounds(() -> digest("MD5", payload));
        double[] sha256 = rounds(() -> digest("SHA-256", payload));
        double[] signedChunks = rounds(() -> decode(parser, verifier, signed));
        double[] unsignedChunks = rounds(() -> decode(parser, verifier, unsigned));
        double[] shaBody = rounds(() -> decode(parser, verifier, sha));

        System.out.printf("payload %d MiB, fed in %d KiB buffers, %d rounds, median throughput (MiB/s)%n",
                SIZE >> 20, FEED >> 10, ROUNDS);
        System.out.printf("%-52s %10s %8s%n", "case", "MiB/s", "ratio");
        row("baseline: MD5 (the ETag, in the write session)", md5, md5);
        row("baseline: SHA-256", sha256, sha256);
        row("unsigned chunks + CRC32C trailer (CRC32C)", unsignedChunks, md5);
        row("plain body, SHA-256 payload hash (SHA-256)", shaBody, sha256);
        row("signed chunks + CRC32C trailer (SHA-256, CRC32C)", signedChunks, sha256);

        SdkSigned get = SdkSigned.sign(SdkHttpMethod.GET, "http://127.0.0.1:9000/bucket/some/key?versionId=x",
                Map.of("x-amz-meta-a", "b"), null, SdkSigned.Options.plain(T));
        int n = 20_000;
        long[] lat = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            verifier.verify(parser.parse(get.method(), get.uri(), get.headers()));
            lat[i] = System.nanoTime() - t0;
        }
        Arrays.sort(lat);
        System.out.printf("parse + SigV4 header verification: p50 %.1f us, p99 %.1f us (%d requests)%n",
                lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, n);
    }

    interface Work {
        void run() throws Exception;
    }

    static double[] rounds(Work w) throws Exception {
        w.run(); // warm-up
        double[] mibs = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            long t0 = System.nanoTime();
            w.run();
            mibs[i] = (SIZE / 1048576.0) / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(mibs);
        return mibs;
    }

    static void row(String name, double[] mibs, double[] baseline) {
        double m = mibs[mibs.length / 2];
        System.out.printf("%-52s %10.0f %8.2f%n", name, m, m / baseline[baseline.length / 2]);
    }

    static void digest(String alg, byte[] data) throws Exception {
        MessageDigest md = MessageDigest.getInstance(alg);
        for (int off = 0; off < data.length; off += FEED) {
            md.update(data, off, Math.min(FEED, data.length - off));
        }
        md.digest();
    }

    static void decode(S3RequestParser parser, SigV4Verifier verifier, SdkSigned s) {
        S3Request req = parser.parse(s.method(), s.uri(), s.headers());
        AuthResult auth = verifier.verify(req);
        PayloadVerifier pv = new PayloadVerifier(req.contentMd5(), auth.expectedPayloadSha256(),
                ChecksumSpec.fromHeaders(req.headers()));
        AwsChunkedDecoder d = auth.payloadMode().chunked()
                ? new AwsChunkedDecoder(auth.payloadMode(), auth.streamingSigner(), req.decodedContentLength()) : null;
        byte[] body = s.body();
        for (int off = 0; off < body.length; off += FEED) {
            ByteBuf in = Unpooled.wrappedBuffer(body, off, Math.min(FEED, body.length - off));
            if (d != null) {
                d.feed(in, slice -> {
                    pv.update(slice);
                    slice.release();
                });
            } else {
                pv.update(in);
            }
            in.release();
        }
        pv.finish(d != null ? d.finish() : Map.of());
    }
}
