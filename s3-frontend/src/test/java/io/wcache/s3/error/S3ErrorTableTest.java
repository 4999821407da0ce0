package io.wcache.s3.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.wcache.core.error.ErrorKind;
import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class S3ErrorTableTest {
    static S3Error map(WcacheException e, ErrorContext ctx) {
        return S3ErrorTable.toS3(e, ctx, "/b/k");
    }

    @Test
    void notFoundDependsOnWhatWasLookedUp() {
        var nf = new WcacheException.NotFound("/b/k", "missing");
        assertThat(map(nf, ErrorContext.BUCKET).code()).isEqualTo(S3ErrorCode.NO_SUCH_BUCKET);
        assertThat(map(nf, ErrorContext.OBJECT).code()).isEqualTo(S3ErrorCode.NO_SUCH_KEY);
        assertThat(map(nf, ErrorContext.MULTIPART_UPLOAD).code()).isEqualTo(S3ErrorCode.NO_SUCH_UPLOAD);
        assertThat(map(nf, ErrorContext.OBJECT).httpStatus()).isEqualTo(404);
        assertThat(map(nf, ErrorContext.OBJECT).resource()).isEqualTo("/b/k");
        // An object operation whose bucket itself is missing is NoSuchBucket, as on S3.
        assertThat(map(new WcacheException.NotFound("/nobucket", "no mount"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.NO_SUCH_BUCKET);
        assertThat(map(new WcacheException.NotFound("/b/k/", "missing"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.NO_SUCH_KEY);
    }

    @Test
    void outOfSpaceIsSlowDownWithRetryAfter() {
        S3Error e = map(new WcacheException.OutOfSpace("/b/k", "pinned full", Duration.ofSeconds(7)), ErrorContext.OBJECT);
        assertThat(e.code()).isEqualTo(S3ErrorCode.SLOW_DOWN);
        assertThat(e.httpStatus()).isEqualTo(503);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void everyKindMapsToAnS3Error() {
        assertThat(map(new WcacheException.ReadOnly("/b/k", "ro"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(map(new WcacheException.AlreadyExists("/b", "x"), ErrorContext.BUCKET).code())
                .isEqualTo(S3ErrorCode.BUCKET_ALREADY_OWNED_BY_YOU);
        assertThat(map(new WcacheException.AlreadyExists("/b/k", "x"), ErrorContext.CONDITIONAL_OBJECT).code())
                .isEqualTo(S3ErrorCode.PRECONDITION_FAILED);
        assertThat(map(new WcacheException.InvalidArgument("x", "bad"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(map(new WcacheException.InvalidPath("k".repeat(1100), "too long"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.KEY_TOO_LONG);
        assertThat(map(new WcacheException.InvalidPath("a\u0000b", "nul"), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.INVALID_ARGUMENT);
        assertThat(map(new WcacheException.Conflict("/b/k", "gen"), ErrorContext.CONDITIONAL_OBJECT).httpStatus())
                .isEqualTo(412);
        assertThat(map(new WcacheException.Conflict("/b/k", "gen"), ErrorContext.OBJECT).httpStatus()).isEqualTo(409);
        assertThat(map(new WcacheException.Conflict("/b", "not empty"), ErrorContext.BUCKET).code())
                .isEqualTo(S3ErrorCode.BUCKET_NOT_EMPTY);
        assertThat(map(new WcacheException.Unavailable("ufs", "down", null), ErrorContext.OBJECT).code())
                .isEqualTo(S3ErrorCode.SERVICE_UNAVAILABLE);
        assertThat(map(new WcacheException.Unavailable("/m/k", "held only by worker-1, which is dead", null),
                ErrorContext.OBJECT).message()).contains("worker-1");
        S3Error corruption = map(new WcacheException.Corruption("/seg/17", "crc mismatch at 4096"), ErrorContext.OBJECT);
        assertThat(corruption.code()).isEqualTo(S3ErrorCode.INTERNAL_ERROR);
        assertThat(corruption.message()).doesNotContain("seg").doesNotContain("4096").contains("checksum").contains("DAMAGED");
        // Every kind is covered by a case above.
        assertThat(EnumSet.allOf(ErrorKind.class)).hasSize(9);
    }

    @Test
    void errorsDefaultToS3Wording() {
        S3Error e = S3Error.of(S3ErrorCode.NO_SUCH_KEY);
        assertThat(e.message()).isEqualTo("The specified key does not exist.");
        assertThat(e.resource()).isEmpty();
        assertThat(e.retryAfter()).isEqualTo(Optional.empty());
        assertThat(new S3Exception(e).getStackTrace()).isEmpty();
    }
}
