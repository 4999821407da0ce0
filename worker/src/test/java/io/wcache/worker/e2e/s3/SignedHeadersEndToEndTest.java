package io.wcache.worker.e2e.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of a presigned URL with an injected header, as an attacker holding a boto3
 * presigned PUT URL would run it: the added {@code x-amz-copy-source} is refused ({@code 403}:
 * {@code SignatureDoesNotMatch} for botocore's default V2 URL, whose string to sign holds every
 * {@code x-amz-*} header; S3's {@code AccessDenied} for a V4 URL, which signs only what it lists) and the target object never receives the other object's bytes,
 * while the same URL used as intended still uploads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignedHeadersEndToEndTest {
    @TempDir
    static Path root;
    @TempDir
    static Path work;
    S3Rig rig;

    @BeforeAll
    void start() {
        rig = new S3Rig(root);
    }

    @AfterAll
    void stop() {
        rig.close();
    }

    @Test
    void boto3PresignedPutWithAnInjectedCopySourceIsRefused() throws Exception {
        String script = """
                import os, boto3, http.client, urllib.parse
                from botocore.config import Config
                def put(url, body, headers={}):
                    # http.client adds no Content-Type (urllib would, and V2 signs it).
                    u = urllib.parse.urlsplit(url)
                    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                    c.request("PUT", u.path + "?" + u.query, body=body, headers=headers)
                    r = c.getresponse()
                    out = (r.status, r.read().decode())
                    c.close()
                    return out
                s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"])
                s3.put_object(Bucket="m", Key="secret/payroll.csv", Body=b"alice,100000")
                inject = {"x-amz-copy-source": "/m/secret/payroll.csv"}
                # botocore's default presigned URL is V2, whose string to sign holds every x-amz-* header.
                url = s3.generate_presigned_url("put_object", Params={"Bucket": "m", "Key": "uploads/avatar.png"})
                status, body = put(url, b"", inject)
                assert status == 403, (status, body)
                assert "<Code>SignatureDoesNotMatch</Code>" in body, body
                v4 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], config=Config(signature_version="s3v4"))
                url4 = v4.generate_presigned_url("put_object", Params={"Bucket": "m", "Key": "uploads/avatar.png"})
                status, body = put(url4, b"", inject)
                assert status == 403, (status, body)
                assert "<Code>AccessDenied</Code>" in body, body
                assert "There were headers present in the request which were not signed" in body, body
                try:
                    s3.head_object(Bucket="m", Key="uploads/avatar.png")
                    raise SystemExit("the avatar exists after the refused copies")
                except s3.exceptions.ClientError as e:
                    assert e.response["Error"]["Code"] == "404"
                # The URLs as intended still work.
                assert put(url, b"png-bytes")[0] == 200
                assert s3.get_object(Bucket="m", Key="uploads/avatar.png")["Body"].read() == b"png-bytes"
                assert put(url4, b"png-v4")[0] == 200
                assert s3.get_object(Bucket="m", Key="uploads/avatar.png")["Body"].read() == b"png-v4"
                print("ok")
                """;
        Path py = Files.writeString(work.resolve("attack.py"), script);
        Path home = Files.createDirectories(work.resolve("home"));
        ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/python3", py.toString())).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("HOME", home.toString());
        env.put("AWS_ACCESS_KEY_ID", S3Rig.ACCESS);
        env.put("AWS_SECRET_ACCESS_KEY", S3Rig.SECRET);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_CONFIG_FILE", home.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
        env.put("ENDPOINT", rig.endpoint.toString());
        Path out = work.resolve("out.txt");
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("timed out");
        }
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out)).contains("ok");
    }
}
