package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Debian's rclone and s3cmd, as packaged, against a worker's endpoint with buckets made by
 * CreateBucket: copy a tree, sync it, list a bucket over several pages, set ACLs (s3cmd setacl,
 * checked by an unsigned GET), purge and remove the bucket. {@code ./wcache test} installs both; a
 * test is skipped, saying so, only when its binary is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RcloneS3cmdEndToEndTest {
    static final String RCLONE = "/usr/bin/rclone";
    static final String S3CMD = "/usr/bin/s3cmd";

    @TempDir
    static Path root;
    @TempDir
    static Path work;
    S3Rig rig;
    S3Client sdk;

    @BeforeAll
    void start() {
        rig = new S3Rig(root.resolve("worker"), "cache.capacity=1GiB",
                "s3.create.bucket.ufs=file:" + root.resolve("buckets").toAbsolutePath() + "/{bucket}");
        sdk = rig.client();
    }

    @AfterAll
    void stop() {
        sdk.close();
        rig.close();
    }

    record Result(int exit, String out, String err) {
    }

    private Result run(List<String> command, Map<String, String> extraEnv) throws IOException, InterruptedException {
        Path home = Files.createDirectories(work.resolve("home"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("RCLONE_"));
        env.put("HOME", home.toString());
        env.putAll(extraEnv);
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Result rclone(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(RCLONE, "--config", work.resolve("no-rclone.conf").toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd, Map.of("RCLONE_CONFIG_WC_TYPE", "s3", "RCLONE_CONFIG_WC_PROVIDER", "Other",
                "RCLONE_CONFIG_WC_ACCESS_KEY_ID", S3Rig.ACCESS, "RCLONE_CONFIG_WC_SECRET_ACCESS_KEY", S3Rig.SECRET,
                "RCLONE_CONFIG_WC_ENDPOINT", rig.endpoint.toString(), "RCLONE_CONFIG_WC_REGION", "us-east-1",
                "RCLONE_CONFIG_WC_FORCE_PATH_STYLE", "true"));
        assertThat(r.exit()).as("rclone %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err()).isZero();
        assertThat(r.err()).as("rclone %s logs no error", String.join(" ", args)).doesNotContain("ERROR");
        return r;
    }

    private Result s3cmd(String... args) throws Exception {
        Path cfg = work.resolve("s3cmd.cfg");
        String hostPort = rig.endpoint.getHost() + ":" + rig.endpoint.getPort();
        Files.writeString(cfg, "[default]\naccess_key = " + S3Rig.ACCESS + "\nsecret_key = " + S3Rig.SECRET
                + "\nhost_base = " + hostPort + "\nhost_bucket = " + hostPort + "\nuse_https = False\n"
                + "signature_v2 = False\nbucket_location = us-east-1\n");
        List<String> cmd = new ArrayList<>(List.of(S3CMD, "-c", cfg.toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd, Map.of());
        assertThat(r.exit()).as("s3cmd %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err()).isZero();
        return r;
    }

    private Path tree(String name) throws IOException {
        Path t = Files.createDirectories(work.resolve(name).resolve("sub/deeper"));
        Files.writeString(work.resolve(name).resolve("a.txt"), "alpha");
        Files.writeString(t.resolveSibling("b.txt"), "beta with \u00fc");
        Files.write(t.resolve("c.bin"), new byte[300_000]);
        return work.resolve(name);
    }

    /** {@code n} small objects under {@code prefix}, written through the SDK (the clients then list them). */
    private void fill(String bucket, String prefix, int n) {
        IntStream.range(0, n).parallel().forEach(i -> sdk.putObject(p -> p.bucket(bucket).key(prefix + String.format("%05d", i)),
                RequestBody.fromString("x" + i)));
    }

    private static int unsignedGet(java.net.URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void rcloneCopiesSyncsListsOverPagesAndPurges() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(RCLONE)), RCLONE + " is not installed (apt-get install rclone)");
        Path src = tree("rtree");
        rclone("mkdir", "wc:rc-bucket");
        rclone("copy", src.toString(), "wc:rc-bucket/tree");
        assertThat(rclone("lsf", "-R", "wc:rc-bucket/tree").out().lines().toList())
                .contains("a.txt", "sub/b.txt", "sub/deeper/c.bin");
        rclone("check", src.toString(), "wc:rc-bucket/tree");
        Files.delete(src.resolve("a.txt"));
        Files.writeString(src.resolve("new.txt"), "new");
        rclone("sync", src.toString(), "wc:rc-bucket/tree");
        assertThat(rclone("lsf", "-R", "wc:rc-bucket/tree").out().lines().toList())
                .contains("new.txt", "sub/b.txt").doesNotContain("a.txt");
        // 1,005 objects listed 200 at a time: six pages
        fill("rc-bucket", "many/", 1005);
        assertThat(rclone("ls", "--s3-list-chunk", "200", "wc:rc-bucket/many").out().lines().count()).isEqualTo(1005);
        rclone("purge", "wc:rc-bucket");
        assertThat(sdk.listBuckets().buckets()).extracting(b -> b.name()).doesNotContain("rc-bucket");
    }

    @Test
    void s3cmdPutsSyncsListsSetsAclsAndRemovesTheBucket() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(S3CMD)), S3CMD + " is not installed (apt-get install s3cmd)");
        Path src = tree("stree");
        s3cmd("mb", "s3://sc-bucket");
        s3cmd("put", "--recursive", src.toString() + "/", "s3://sc-bucket/tree/");
        assertThat(s3cmd("ls", "--recursive", "s3://sc-bucket/tree/").out())
                .contains("s3://sc-bucket/tree/a.txt").contains("s3://sc-bucket/tree/sub/deeper/c.bin");
        Files.writeString(src.resolve("a.txt"), "alpha changed");
        Files.delete(src.resolve("sub/b.txt"));
        s3cmd("sync", "--delete-removed", src.toString() + "/", "s3://sc-bucket/tree/");
        assertThat(sdk.getObjectAsBytes(g -> g.bucket("sc-bucket").key("tree/a.txt")).asUtf8String())
                .isEqualTo("alpha changed");
        assertThat(s3cmd("ls", "--recursive", "s3://sc-bucket/tree/").out()).doesNotContain("sub/b.txt");
        // s3cmd lists 1,000 keys a page: 1,005 objects take two
        fill("sc-bucket", "many/", 1005);
        assertThat(s3cmd("ls", "s3://sc-bucket/many/").out().lines().filter(l -> l.contains("s3://")).count())
                .isEqualTo(1005);

        java.net.URI object = rig.endpoint.resolve("/sc-bucket/tree/a.txt");
        assertThat(unsignedGet(object)).isEqualTo(403);
        s3cmd("setacl", "--acl-public", "s3://sc-bucket/tree/a.txt");
        assertThat(unsignedGet(object)).isEqualTo(200);
        assertThat(s3cmd("info", "s3://sc-bucket/tree/a.txt").out()).contains("*anon*: READ");
        s3cmd("setacl", "--acl-private", "s3://sc-bucket/tree/a.txt");
        assertThat(unsignedGet(object)).isEqualTo(403);

        s3cmd("del", "--recursive", "--force", "s3://sc-bucket");
        s3cmd("rb", "s3://sc-bucket");
        assertThat(sdk.listBuckets().buckets()).extracting(b -> b.name()).doesNotContain("sc-bucket");
    }
}
