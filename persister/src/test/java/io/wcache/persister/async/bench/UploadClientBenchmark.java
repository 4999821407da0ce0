package io.wcache.persister.async.bench;

import io.wcache.persister.async.S3Rig;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import io.wcache.persister.testing.TempDirs;
import io.wcache.persister.ufs.PutOptions;
import io.wcache.persister.ufs.UnderFileSystem;
import io.wcache.persister.ufs.UploadSource;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The S3 UFS client's own CPU per upload: the CPU time of the thread that calls {@code put} (the
 * sync client marshals, signs, hashes and sends on it), per 10 KiB and per 10 MiB object, for a body
 * whose MD5 is known (a cached version's ETag) and one whose MD5 is not, in interleaved rounds
 * against an embedded s3proxy over plain HTTP. Thread CPU time is what the persister's threads take
 * from ingest; it is less disturbed by other load on the machine than wall time. Each round also
 * prints the whole process's CPU per upload (s3proxy's included), which also counts an HTTP client
 * that does its I/O on threads of its own.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl persister test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.wcache.persister.async.bench.UploadClientBenchmark [-Dexec.args="2000 20 5"]
 * </pre>
 * Arguments: 10 KiB uploads per round, 10 MiB uploads per round, rounds.
 */
public final class UploadClientBenchmark {

    private UploadClientBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = TempDirs.createDeletedOnExit("upload-client-bench");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        PatternSource smallBody = new PatternSource(10 << 10, 1);
        PatternSource largeBody = new PatternSource(10L << 20, 2);
        String smallMd5 = md5(smallBody);
        String largeMd5 = md5(largeBody);
        try (EmbeddedS3Server s3 = S3Rig.server(dir.resolve("s3")); UnderFileSystem ufs = UnderFileSystem.open(
                // The default multipart threshold (64 MiB): a 10 MiB object is one PutObject.
                java.net.URI.create("s3://bucket/bench"), s3.ufsOptions())) {
            run(ufs, mx, smallBody, smallMd5, Math.min(500, small), "warm");
            run(ufs, mx, smallBody, null, Math.min(500, small), "warm");
            run(ufs, mx, largeBody, largeMd5, Math.min(3, large), "warm");
            run(ufs, mx, largeBody, null, Math.min(3, large), "warm");
            double[][] r = new double[8][rounds];
            for (int i = 0; i < rounds; i++) {
                double[] a = run(ufs, mx, smallBody, smallMd5, small, "s-known-" + i);
                double[] b = run(ufs, mx, smallBody, null, small, "s-unknown-" + i);
                double[] c = run(ufs, mx, largeBody, largeMd5, large, "l-known-" + i);
                double[] d = run(ufs, mx, largeBody, null, large, "l-unknown-" + i);
                r[0][i] = a[0]; r[1][i] = a[1]; r[2][i] = b[0]; r[3][i] = b[1];
                r[4][i] = c[0]; r[5][i] = c[1]; r[6][i] = d[0]; r[7][i] = d[1];
                System.out.printf("round %d: 10 KiB known %.3f ms CPU %.3f ms wall, unknown %.3f / %.3f; "
                        + "10 MiB known %.1f / %.1f, unknown %.1f / %.1f%n", i, a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1]);
            }
            System.out.println();
            System.out.println("| upload (1 thread, plain HTTP) | MD5 known | calling thread CPU ms/upload (median) | wall ms/upload (median) |");
            System.out.println("| --- | --- | ---: | ---: |");
            System.out.printf("| 10 KiB | yes | %.3f | %.3f |%n", median(r[0]), median(r[1]));
            System.out.printf("| 10 KiB | no | %.3f | %.3f |%n", median(r[2]), median(r[3]));
            System.out.printf("| 10 MiB | yes | %.1f | %.1f |%n", median(r[4]), median(r[5]));
            System.out.printf("| 10 MiB | no | %.1f | %.1f |%n", median(r[6]), median(r[7]));
        }
    }

    /** {ms of this thread's CPU per upload, ms of wall time per upload}. */
    private static double[] run(UnderFileSystem ufs, ThreadMXBean mx, PatternSource body, String md5, int n, String tag)
            throws IOException {
        UploadSource source = new UploadSource() {
            @Override
            public long length() {
                return body.length();
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                return body.open(offset, length);
            }

            // Not @Override: the benchmark also compiles against the UFS before md5Hex existed.
            public Optional<String> md5Hex() {
                return Optional.ofNullable(md5);
            }
        };
        long process0 = PersisterBenchmark.processCpu();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ufs.put("bench/" + tag + "/" + i, source, PutOptions.DEFAULT);
        }
        System.out.printf("  %s: process CPU %.3f ms per upload%n", tag, (PersisterBenchmark.processCpu() - process0) / 1e6 / n);
        return new double[] {(mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / n, (System.nanoTime() - t0) / 1e6 / n};
    }

    private static String md5(PatternSource body) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            try (InputStream in = body.open(0, body.length())) {
                byte[] buf = new byte[1 << 16];
                for (int k; (k = in.read(buf)) > 0; ) {
                    md.update(buf, 0, k);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
