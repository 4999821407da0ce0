package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's own S3 clients, as packaged and with default settings, against a worker's endpoint:
 * {@code /usr/bin/aws} (awscli) {@code s3 cp/ls/sync/rm} and {@code s3api}, and a
 * {@code /usr/bin/python3} boto3 script. They are installed by {@code ./wcache test}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianClientsEndToEndTest {

    @TempDir
    static Path root;
    @TempDir
    static Path work;
    S3Rig rig;

    @BeforeAll
    void start() {
        rig = new S3Rig(root, "cache.capacity=1GiB");
    }

    @AfterAll
    void stop() {
        rig.close();
    }

    record Result(int exit, String out, String err) {
    }

    Result run(List<String> command) throws IOException, InterruptedException {
        Path home = Files.createDirectories(work.resolve("home"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("HOME", home.toString());
        env.put("AWS_ACCESS_KEY_ID", S3Rig.ACCESS);
        env.put("AWS_SECRET_ACCESS_KEY", S3Rig.SECRET);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_CONFIG_FILE", home.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
        env.put("AWS_PAGER", "");
        env.put("ENDPOINT", rig.endpoint.toString());
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    Result aws(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url", rig.endpoint.toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd);
        assertThat(r.exit()).as("aws %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err()).isZero();
        return r;
    }

    @Test
    void awscliCopiesListsSyncsAndRemoves() throws Exception {
        byte[] big = new byte[20 * 1024 * 1024 + 123];
        new Random(5).nextBytes(big);
        Path src = Files.write(work.resolve("big.bin"), big);
        // 20 MiB is above awscli's 8 MiB multipart threshold: this is a parallel multipart upload.
        aws("s3", "cp", src.toString(), "s3://m/cli/big.bin");
        aws("s3", "cp", "s3://m/cli/big.bin", work.resolve("back.bin").toString());
        assertThat(Files.readAllBytes(work.resolve("back.bin"))).isEqualTo(big);

        Path dir = Files.createDirectories(work.resolve("tree/sub"));
        Files.writeString(work.resolve("tree/a.txt"), "alpha");
        Files.writeString(dir.resolve("b.txt"), "beta with ü");
        aws("s3", "sync", work.resolve("tree").toString(), "s3://m/cli/tree");
        Result ls = aws("s3", "ls", "--recursive", "s3://m/cli/");
        assertThat(ls.out()).contains("cli/big.bin").contains("cli/tree/a.txt").contains("cli/tree/sub/b.txt");
        Result top = aws("s3", "ls", "s3://m/cli/");
        assertThat(top.out()).contains("PRE tree/").contains("big.bin");

        aws("s3api", "put-object", "--bucket", "m", "--key", "cli/api.txt", "--body", work.resolve("tree/a.txt").toString(),
                "--metadata", "k=v", "--content-type", "text/plain");
        Result head = aws("s3api", "head-object", "--bucket", "m", "--key", "cli/api.txt");
        assertThat(head.out()).contains("\"k\": \"v\"").contains("text/plain");
        Result listed = aws("s3api", "list-objects-v2", "--bucket", "m", "--prefix", "cli/tree/", "--delimiter", "/");
        assertThat(listed.out()).contains("cli/tree/a.txt").contains("cli/tree/sub/");

        aws("s3", "rm", "--recursive", "s3://m/cli/");
        // awscli exits 1 when a listing is empty.
        Result after = run(List.of("/usr/bin/aws", "--endpoint-url", rig.endpoint.toString(), "s3", "ls", "--recursive",
                "s3://m/cli/"));
        assertThat(after.out()).isBlank();
        assertThat(after.err()).isBlank();
    }

    @Test
    void awscliCopiesALargeObjectBetweenKeysReadingItsTags() throws Exception {
        // awscli reads the source's tags (GetObjectTagging) before a multipart copy of 8 MiB or more: it failed
        // with NotImplemented before.
        byte[] big = new byte[9 * 1024 * 1024 + 7];
        new Random(9).nextBytes(big);
        aws("s3", "cp", Files.write(work.resolve("nine.bin"), big).toString(), "s3://m/cp/nine.bin");
        aws("s3", "cp", "s3://m/cp/nine.bin", "s3://m/cp/copy.bin");
        aws("s3", "cp", "s3://m/cp/copy.bin", work.resolve("copy.bin").toString());
        assertThat(Files.readAllBytes(work.resolve("copy.bin"))).isEqualTo(big);
        assertThat(aws("s3api", "get-object-tagging", "--bucket", "m", "--key", "cp/copy.bin").out())
                .contains("\"TagSet\": []");
        assertThat(aws("s3api", "list-object-versions", "--bucket", "m", "--prefix", "cp/").out())
                .contains("\"VersionId\": \"null\"").contains("cp/copy.bin");
        aws("s3api", "get-bucket-versioning", "--bucket", "m");
        aws("s3", "rm", "--recursive", "s3://m/cp/");
    }

    @Test
    void awscliPutsAndGetsObjectTagsAndALargeCopyKeepsThem() throws Exception {
        // PutObjectTagging answered 501 NotImplemented and GetObjectTagging an empty set before.
        byte[] big = new byte[9 * 1024 * 1024 + 3];
        new Random(11).nextBytes(big);
        aws("s3", "cp", Files.write(work.resolve("tagged.bin"), big).toString(), "s3://m/tags/src.bin");
        aws("s3api", "put-object-tagging", "--bucket", "m", "--key", "tags/src.bin",
                "--tagging", "TagSet=[{Key=team,Value=blue green},{Key=tier,Value=1}]");
        assertThat(aws("s3api", "get-object-tagging", "--bucket", "m", "--key", "tags/src.bin").out())
                .contains("\"Key\": \"team\"").contains("\"Value\": \"blue green\"")
                .contains("\"Key\": \"tier\"");
        // a multipart copy of 8 MiB and more reads the source's tags and sends them with CreateMultipartUpload
        aws("s3", "cp", "s3://m/tags/src.bin", "s3://m/tags/copy.bin");
        assertThat(aws("s3api", "get-object-tagging", "--bucket", "m", "--key", "tags/copy.bin").out())
                .contains("\"Value\": \"blue green\"").contains("\"Key\": \"tier\"");
        aws("s3api", "delete-object-tagging", "--bucket", "m", "--key", "tags/src.bin");
        assertThat(aws("s3api", "get-object-tagging", "--bucket", "m", "--key", "tags/src.bin").out())
                .contains("\"TagSet\": []");
        aws("s3", "rm", "--recursive", "s3://m/tags/");
    }

    @Test
    void boto3ScriptWorksWithDefaults() throws Exception {
        String script = """
                import os, boto3, hashlib
                s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"])
                s3.put_object(Bucket="m", Key="py/one.txt", Body=b"hello", Metadata={"who": "boto3"})
                got = s3.get_object(Bucket="m", Key="py/one.txt")
                assert got["Body"].read() == b"hello"
                assert got["Metadata"] == {"who": "boto3"}, got["Metadata"]
                data = os.urandom(12 * 1024 * 1024 + 5)
                with open("py.bin", "wb") as f:
                    f.write(data)
                s3.upload_file("py.bin", "m", "py/big.bin")
                body = s3.get_object(Bucket="m", Key="py/big.bin")["Body"].read()
                assert hashlib.md5(body).digest() == hashlib.md5(data).digest()
                part = s3.get_object(Bucket="m", Key="py/big.bin", Range="bytes=10-19")["Body"].read()
                assert part == data[10:20]
                keys = [o["Key"] for o in s3.list_objects_v2(Bucket="m", Prefix="py/")["Contents"]]
                assert keys == ["py/big.bin", "py/one.txt"], keys
                url = s3.generate_presigned_url("get_object", Params={"Bucket": "m", "Key": "py/one.txt"})
                import urllib.request
                assert urllib.request.urlopen(url).read() == b"hello"
                s3.delete_objects(Bucket="m", Delete={"Objects": [{"Key": "py/one.txt"}, {"Key": "py/big.bin"}]})
                assert "Contents" not in s3.list_objects_v2(Bucket="m", Prefix="py/")
                try:
                    s3.head_object(Bucket="m", Key="py/one.txt")
                    raise SystemExit("still there")
                except s3.exceptions.ClientError as e:
                    assert e.response["Error"]["Code"] == "404"
                print("ok")
                """;
        Path py = Files.writeString(work.resolve("client.py"), script, StandardCharsets.UTF_8);
        Result r = run(List.of("/usr/bin/python3", py.toString()));
        assertThat(r.exit()).as("stdout: %s\nstderr: %s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("ok");
    }

    /**
     * Flexible checksums with Debian's boto3 as ceph/s3-tests uses them (test_object_checksum_sha256,
     * test_multipart_checksum_sha256): stored on PUT and UploadPart, returned by HEAD and GET only in
     * checksum mode (botocore checks a GET's body against it), a composite checksum for a multipart
     * upload created with ChecksumAlgorithm, and BadDigest for a wrong one sent with the completion.
     * HEAD in checksum mode returned no checksum before they were stored.
     */
    @Test
    void boto3ChecksumsAreStoredAndReturnedInChecksumMode() throws Exception {
        String script = """
                import os, boto3, base64, hashlib
                from botocore.exceptions import ClientError
                s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"])
                b64 = lambda d: base64.b64encode(d).decode()
                body = b"A" * 1024
                sha = b64(hashlib.sha256(body).digest())
                assert sha == "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0="
                r = s3.put_object(Bucket="m", Key="ck/one", Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=sha)
                assert r["ChecksumSHA256"] == sha, r
                assert "ChecksumSHA256" not in s3.head_object(Bucket="m", Key="ck/one")
                assert s3.head_object(Bucket="m", Key="ck/one", ChecksumMode="ENABLED")["ChecksumSHA256"] == sha
                g = s3.get_object(Bucket="m", Key="ck/one", ChecksumMode="ENABLED")
                assert g["Body"].read() == body and g["ChecksumSHA256"] == sha
                r = s3.put_object(Bucket="m", Key="ck/crc", Body=body, ChecksumAlgorithm="CRC32C")
                assert s3.head_object(Bucket="m", Key="ck/crc", ChecksumMode="ENABLED")["ChecksumCRC32C"] == r["ChecksumCRC32C"]
                u = s3.create_multipart_upload(Bucket="m", Key="ck/multi", ChecksumAlgorithm="SHA256")
                assert u["ChecksumAlgorithm"] == "SHA256", u
                p = s3.upload_part(Bucket="m", Key="ck/multi", UploadId=u["UploadId"], PartNumber=1, Body=body,
                                   ChecksumAlgorithm="SHA256", ChecksumSHA256=sha)
                parts = {"Parts": [{"ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"], "PartNumber": 1}]}
                try:
                    s3.complete_multipart_upload(Bucket="m", Key="ck/multi", UploadId=u["UploadId"], ChecksumSHA256="bad",
                                                 MultipartUpload=parts)
                    raise SystemExit("a wrong checksum was accepted")
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "BadDigest", e.response
                composite = "Ok6Cs5b96ux6+MWQkJO7UBT5sKPBeXBLwvj/hK89smg=-1"
                r = s3.complete_multipart_upload(Bucket="m", Key="ck/multi", UploadId=u["UploadId"],
                                                 ChecksumSHA256=composite, MultipartUpload=parts)
                assert r["ChecksumSHA256"] == composite, r
                assert s3.head_object(Bucket="m", Key="ck/multi", ChecksumMode="ENABLED")["ChecksumSHA256"] == composite
                print("ok")
                """;
        Path py = Files.writeString(work.resolve("checksums.py"), script, StandardCharsets.UTF_8);
        Result r = run(List.of("/usr/bin/python3", py.toString()));
        assertThat(r.exit()).as("stdout: %s\nstderr: %s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("ok");
    }

    /**
     * What ceph/s3-tests' test_object_set_get_unicode_metadata and
     * test_object_content_encoding_aws_chunked do with Debian's boto3. Non-ASCII user metadata sent
     * as raw UTF-8 reads back as the string sent (it came back as the RFC 2047 encoded-word, which
     * botocore does not decode); a value beyond ISO-8859-1 still comes back as that encoded-word, as
     * S3 returns it. Content-Encoding aws-chunked on a body that is not aws-chunked framed is stored
     * without the token (it was refused with InvalidRequest).
     */
    @Test
    void boto3NonAsciiMetadataAndAnAwsChunkedLabel() throws Exception {
        String script = """
                import os, boto3, base64
                s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"])
                value = {"v": ""}
                def raw_metadata(**kwargs):
                    kwargs["params"]["headers"]["x-amz-meta-meta1"] = value["v"]
                s3.meta.events.register("before-call.s3.PutObject", raw_metadata)
                value["v"] = "Hello World\\u00e9"
                s3.put_object(Bucket="m", Key="meta/latin", Body=b"bar")
                got = s3.get_object(Bucket="m", Key="meta/latin")["Metadata"]["meta1"]
                assert got == "Hello World\\u00e9", got
                value["v"] = "snow \\u2603"
                s3.put_object(Bucket="m", Key="meta/snow", Body=b"bar")
                got = s3.head_object(Bucket="m", Key="meta/snow")["Metadata"]["meta1"]
                assert got == "=?UTF-8?B?" + base64.b64encode("snow \\u2603".encode()).decode() + "?=", got
                s3.meta.events.unregister("before-call.s3.PutObject", raw_metadata)
                for sent, stored in [("gzip, aws-chunked", "gzip"), ("aws-chunked, gzip", "gzip"),
                                     ("aws-chunked", None), ("aws-chunked, aws-chunked", None),
                                     ("deflate, gzip", "deflate, gzip")]:
                    s3.put_object(Bucket="m", Key="enc", Body=b"plain bytes", ContentEncoding=sent)
                    h = s3.head_object(Bucket="m", Key="enc")
                    assert h.get("ContentEncoding") == stored, (sent, h.get("ContentEncoding"))
                    assert s3.get_object(Bucket="m", Key="enc")["Body"].read() == b"plain bytes"
                print("ok")
                """;
        Path py = Files.writeString(work.resolve("unicode.py"), script, StandardCharsets.UTF_8);
        Result r = run(List.of("/usr/bin/python3", py.toString()));
        assertThat(r.exit()).as("stdout: %s\nstderr: %s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("ok");
    }
}
