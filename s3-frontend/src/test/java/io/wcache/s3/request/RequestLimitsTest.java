package io.wcache.s3.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import org.junit.jupiter.api.Test;

class RequestLimitsTest {

    @Test
    void partsThatAddUpToMoreThanFiveTiBAreEntityTooLarge() {
        long fiveGiB = RequestLimits.MAX_PART_BYTES;
        assertThatCode(() -> RequestLimits.checkAssembledSize(1024 * fiveGiB, "/b/k")).doesNotThrowAnyException();
        S3Exception e = catchThrowableOfType(
                () -> RequestLimits.checkAssembledSize(1024 * fiveGiB + 1, "/b/k"), S3Exception.class);
        assertThat(e.error().code()).isEqualTo(S3ErrorCode.ENTITY_TOO_LARGE);
        assertThat(e.error().message()).contains("5497558138880");
    }

    @Test
    void aCopySourceOverFiveGiBIsRefusedAsS3RefusesIt() {
        assertThatCode(() -> RequestLimits.checkCopySourceSize(RequestLimits.MAX_PART_BYTES, "/b/k"))
                .doesNotThrowAnyException();
        S3Exception e = catchThrowableOfType(
                () -> RequestLimits.checkCopySourceSize(RequestLimits.MAX_PART_BYTES + 1, "/b/k"), S3Exception.class);
        assertThat(e.error().code()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
        assertThat(e.error().message()).contains("copy source is larger");
    }
}
