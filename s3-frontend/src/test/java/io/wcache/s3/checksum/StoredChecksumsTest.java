package io.wcache.s3.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.wcache.core.cache.ObjectChecksum;
import io.wcache.s3.error.S3Exception;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checksums of completed multipart uploads, against the values ceph/s3-tests expects from S3
 * for three 5 MiB parts of {@code 'A'}, {@code 'B'} and {@code 'C'} (test_multipart_use_cksum_helper_*),
 * and CreateMultipartUpload's checksum headers.
 */
class StoredChecksumsTest {
    static final long FIVE_MIB = 5L * 1024 * 1024;
    static final List<Long> SIZES = List.of(FIVE_MIB, FIVE_MIB, FIVE_MIB);

    static ObjectChecksum upload(String alg, String type) {
        return new ObjectChecksum(alg, type, "");
    }

    @Test
    void fullObjectCrcsCombineFromThePartCrcs() {
        assertThat(StoredChecksums.complete(upload("CRC64NVME", "FULL_OBJECT"),
                List.of("L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="), SIZES))
                .isEqualTo(ObjectChecksum.fullObject("CRC64NVME", "i+6LR0y3eFo="));
        assertThat(StoredChecksums.complete(upload("CRC32", "FULL_OBJECT"),
                List.of("JRTCyQ==", "QoZTGg==", "YAgjqw=="), SIZES))
                .isEqualTo(ObjectChecksum.fullObject("CRC32", "WgDhBQ=="));
        assertThat(StoredChecksums.complete(upload("CRC32C", "FULL_OBJECT"),
                List.of("MDaLrw==", "TH4EZg==", "Z7mBIQ=="), SIZES))
                .isEqualTo(ObjectChecksum.fullObject("CRC32C", "xU+Krw=="));
    }

    @Test
    void compositeChecksumsHashThePartChecksumsAndCountTheParts() {
        assertThat(StoredChecksums.complete(upload("SHA256", "COMPOSITE"), List.of("275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=",
                "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=", "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow="), SIZES))
                .isEqualTo(new ObjectChecksum("SHA256", "COMPOSITE", "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3"));
        assertThat(StoredChecksums.complete(upload("SHA1", "COMPOSITE"), List.of("iIaTCGbm+vdVjNqIMF2S0T7ibMk=",
                "LS/TJ32bAVKEwRu+sE3X7awh/lk=", "6DDwovUaHwrKNXDMzOGbuvj9kxI="), SIZES).value())
                .isEqualTo("sizjvY4eud3MrcHdZM3cQ/ol39o=-3");
    }

    static HttpHeaders headers(String... kv) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < kv.length; i += 2) {
            h.add(kv[i], kv[i + 1]);
        }
        return h;
    }

    @Test
    void createMultipartUploadHeadersDefaultTheTypeAsS3() {
        assertThat(StoredChecksums.forUpload(headers())).isEmpty();
        assertThat(StoredChecksums.forUpload(headers("x-amz-checksum-algorithm", "sha256")))
                .contains(upload("SHA256", "COMPOSITE"));
        assertThat(StoredChecksums.forUpload(headers("x-amz-checksum-algorithm", "CRC64NVME")))
                .contains(upload("CRC64NVME", "FULL_OBJECT"));
        assertThat(StoredChecksums.forUpload(headers("x-amz-checksum-algorithm", "CRC32C",
                "x-amz-checksum-type", "FULL_OBJECT"))).contains(upload("CRC32C", "FULL_OBJECT"));
    }

    @Test
    void createMultipartUploadRefusesWhatS3Refuses() {
        assertInvalid(headers("x-amz-checksum-algorithm", "MD5"), "Checksum algorithm provided is unsupported");
        assertInvalid(headers("x-amz-checksum-type", "COMPOSITE"),
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
        assertInvalid(headers("x-amz-checksum-algorithm", "SHA1", "x-amz-checksum-type", "FULL_OBJECT"),
                "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.");
        assertInvalid(headers("x-amz-checksum-algorithm", "CRC64NVME", "x-amz-checksum-type", "COMPOSITE"),
                "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
        assertInvalid(headers("x-amz-checksum-algorithm", "CRC32", "x-amz-checksum-type", "PARTIAL"),
                "Value for x-amz-checksum-type header is invalid.");
    }

    static void assertInvalid(HttpHeaders h, String message) {
        assertThatThrownBy(() -> StoredChecksums.forUpload(h)).isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).error().code().code()).isEqualTo("InvalidRequest"))
                .hasMessageContaining(message);
    }

    @Test
    void readsAskForChecksumsWithTheModeHeader() {
        assertThat(StoredChecksums.modeEnabled(headers("x-amz-checksum-mode", "ENABLED"))).isTrue();
        assertThat(StoredChecksums.modeEnabled(headers("x-amz-checksum-mode", "enabled"))).isTrue();
        assertThat(StoredChecksums.modeEnabled(headers())).isFalse();
    }
}
