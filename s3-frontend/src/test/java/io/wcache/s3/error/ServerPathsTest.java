package io.wcache.s3.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.WcacheException;
import org.junit.jupiter.api.Test;

/** Error messages sent to S3 clients name the client's own paths, never the server's files. */
class ServerPathsTest {

    @Test
    void ufsRootAndFileUrisAreHiddenFromClients() {
        S3Error e = S3ErrorTable.toS3(new WcacheException.InvalidPath("/m/escape/passwd",
                "'escape/passwd' resolves outside the UFS root /var/lib/wcache/ufs/m (through a symbolic link)"),
                ErrorContext.OBJECT, "/m/escape/passwd");
        assertThat(e.message()).doesNotContain("/var/lib").contains("<server path>").contains("symbolic link");
        S3Error bucket = S3ErrorTable.toS3(new WcacheException.InvalidArgument("/newb",
                "ufs 'file:/srv/data/ufs/newb' names no directory"), ErrorContext.BUCKET, "/newb");
        assertThat(bucket.message()).doesNotContain("/srv").doesNotContain("file:");
    }

    @Test
    void theRequestsOwnPathsStay() {
        assertThat(ServerPaths.redact("path /m/a/b is READ_ONLY (rule /m/a)", "/m/a/b"))
                .isEqualTo("path /m/a/b is READ_ONLY (rule /m/a)");
        assertThat(ServerPaths.redact("path must be absolute (start with '/')", "/m/k"))
                .isEqualTo("path must be absolute (start with '/')");
        assertThat(ServerPaths.redact("cannot read /home/op/data/cache/seg-1.log: EIO", "/m/k"))
                .isEqualTo("cannot read <server path>: EIO");
        assertThat(ServerPaths.redact("a/b and 1/2 are relative", "/m/k")).isEqualTo("a/b and 1/2 are relative");
    }
}
