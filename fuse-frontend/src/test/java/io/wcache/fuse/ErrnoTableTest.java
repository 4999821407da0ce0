package io.wcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.ErrorKind;
import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrnoTableTest {

    @Test
    void everyErrorKindHasTheErrnoTheSemanticsName() {
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.NOT_FOUND))).isEqualTo("ENOENT");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.ALREADY_EXISTS))).isEqualTo("EEXIST");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.READ_ONLY))).isEqualTo("EROFS");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.OUT_OF_SPACE))).isEqualTo("ENOSPC");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.INVALID_ARGUMENT))).isEqualTo("EINVAL");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.INVALID_PATH))).isEqualTo("EINVAL");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.CONFLICT))).isEqualTo("EBUSY");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.UNAVAILABLE))).isEqualTo("EIO");
        assertThat(ErrnoTable.name(ErrnoTable.errno(ErrorKind.CORRUPTION))).isEqualTo("EIO");
        for (ErrorKind k : ErrorKind.values()) {
            assertThat(ErrnoTable.errno(k)).as(k.name()).isPositive();
        }
    }

    @Test
    void failuresWrappedByFuturesAreUnwrappedAndUnknownOnesAreEio() {
        CompletableFuture<Void> f = CompletableFuture.failedFuture(
                new WcacheException.OutOfSpace("/m/x", "full", Duration.ofSeconds(1)));
        Throwable joined = null;
        try {
            f.join();
        } catch (CompletionException e) {
            joined = e;
        }
        assertThat(ErrnoTable.name(ErrnoTable.errno(joined))).isEqualTo("ENOSPC");
        assertThat(ErrnoTable.name(ErrnoTable.errno(new IllegalStateException("bug")))).isEqualTo("EIO");
        assertThat(ErrnoTable.name(ErrnoTable.errno(new FuseErrno(ErrnoTable.errno(ErrorKind.READ_ONLY), "ro"))))
                .isEqualTo("EROFS");
    }
}
