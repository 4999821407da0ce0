package io.wcache.core.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WcacheExceptionTest {

    @Test
    void invalidPathIsAnInvalidArgumentWithItsOwnKind() {
        WcacheException e = new WcacheException.InvalidPath("/a/../b", "segment '..' is not allowed");
        assertThat(e).isInstanceOf(WcacheException.InvalidArgument.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_PATH);
        assertThat(e.subject()).isEqualTo("/a/../b");
    }

    @Test
    void outOfSpaceCarriesARetryHint() {
        var e = new WcacheException.OutOfSpace("/s3/k", "pinned space full", Duration.ofSeconds(2));
        assertThat(e.kind()).isEqualTo(ErrorKind.OUT_OF_SPACE);
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    }
}
