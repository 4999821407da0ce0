package io.wcache.persister.ufs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.persister.testing.EmbeddedS3Server;
import io.wcache.persister.testing.PatternSource;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 server goes away and comes back on the same port over the same data: every call fails
 * fast with a retryable {@link WcacheException.Unavailable} naming the UFS and key while it is
 * down, and the same UFS instance works again once it is back.
 */
class S3UfsOutageTest {

    @TempDir
    Path temp;

    @Test
    void callsFailAsUnavailableDuringAnOutageAndSucceedOnceTheServerIsBack() throws Exception {
        try (EmbeddedS3Server server = EmbeddedS3Server.start(temp.resolve("s3"))) {
            server.createBucket("bucket");
            Map<String, String> options = new HashMap<>(server.ufsOptions());
            options.put("connect.timeout", "1s");
            options.put("socket.timeout", "3s");
            options.put("max.attempts", "2");
            options.put("multipart.threshold", "6MiB");
            options.put("multipart.part.size", "5MiB");
            try (UnderFileSystem ufs = UnderFileSystem.open(URI.create("s3://bucket/mnt"), options)) {
                ufs.put("before", UploadSource.ofBytes("stored before".getBytes(StandardCharsets.UTF_8)), PutOptions.DEFAULT);

                server.stop();
                String subject = "s3://bucket/mnt/";
                List<Map.Entry<String, ThrowingCallable>> calls = List.of(
                        Map.entry("before", () -> ufs.get("before").close()),
                        Map.entry("before", () -> ufs.head("before")),
                        Map.entry("during", () -> ufs.put("during", UploadSource.ofBytes(new byte[10]), PutOptions.DEFAULT)),
                        Map.entry("large", () -> ufs.put("large", new PatternSource(12L << 20, 1), PutOptions.DEFAULT)),
                        Map.entry("before", () -> ufs.delete("before")),
                        Map.entry("", () -> ufs.list("", "/", null, 10)));
                for (Map.Entry<String, ThrowingCallable> call : calls) {
                    assertThatThrownBy(call.getValue())
                            .isInstanceOf(WcacheException.Unavailable.class)
                            .satisfies(e -> assertThat(((WcacheException) e).subject()).isEqualTo(subject + call.getKey()))
                            .hasMessageContaining(subject + call.getKey());
                }

                server.restart();
                try (InputStream in = ufs.get("before")) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("stored before");
                }
                PatternSource large = new PatternSource(12L << 20, 2);
                ufs.put("large", large, PutOptions.DEFAULT);
                try (InputStream in = ufs.get("large")) {
                    assertThat(PatternSource.sha256(in)).isEqualTo(large.sha256());
                }
                assertThat(ufs.list("", null, null, 10).objects()).extracting(UfsObject::key).containsExactly("before", "large");
            }
        }
    }
}
