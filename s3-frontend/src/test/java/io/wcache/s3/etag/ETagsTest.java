package io.wcache.s3.etag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.s3.error.S3ErrorCode;
import io.wcache.s3.error.S3Exception;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ETagsTest {
    @Test
    void singlePartEtagIsTheQuotedMd5Hex() {
        assertThat(ETags.of(new byte[0])).isEqualTo("\"d41d8cd98f00b204e9800998ecf8427e\"");
        assertThat(ETags.of("hello".getBytes())).isEqualTo("\"5d41402abc4b2a76b9719d911017c592\"");
    }

    @Test
    void multipartEtagIsMd5OfConcatenatedPartMd5sWithPartCount() throws Exception {
        byte[] p1 = MessageDigest.getInstance("MD5").digest("part one".getBytes());
        byte[] p2 = MessageDigest.getInstance("MD5").digest("part two".getBytes());
        MessageDigest md = MessageDigest.getInstance("MD5");
        md.update(p1);
        md.update(p2);
        String expected = "\"" + java.util.HexFormat.of().formatHex(md.digest()) + "-2\"";
        assertThat(ETags.multipart(List.of(p1, p2))).isEqualTo(expected);
        // Known value, as computed by S3 for two parts "a" and "b".
        byte[] a = MessageDigest.getInstance("MD5").digest("a".getBytes());
        byte[] b = MessageDigest.getInstance("MD5").digest("b".getBytes());
        assertThat(ETags.multipart(List.of(a, b))).endsWith("-2\"").hasSize(36);
        assertThat(ETags.md5Of(ETags.of("x".getBytes()))).isEqualTo(MessageDigest.getInstance("MD5").digest("x".getBytes()));
        assertThatThrownBy(() -> ETags.md5Of("\"abc-2\"")).isInstanceOfSatisfying(S3Exception.class,
                e -> assertThat(e.code()).isEqualTo(S3ErrorCode.INVALID_PART));
    }
}
