package io.wcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Md5Test {

    @Test
    void eachDigestIsNewAndComputesMd5() {
        assertThat(Md5.newDigest()).isNotSameAs(Md5.newDigest());
        byte[] d = Md5.newDigest().digest("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(HexFormat.of().formatHex(d)).isEqualTo("5d41402abc4b2a76b9719d911017c592");
    }
}
