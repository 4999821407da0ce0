package io.wcache.s3.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.checksums.SdkChecksum;

class ChecksumAlgorithmProperties {

    @Example
    void crc64NvmeMatchesTheStandardCheckValue() {
        Crc64Nvme c = new Crc64Nvme();
        c.update(ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertThat(c.value()).isEqualTo(0xAE8B14860A799888L);
        assertThat(HexFormat.of().formatHex(new Crc64Nvme().finish())).isEqualTo("0000000000000000");
    }

    @Property(tries = 200)
    void incrementalChecksumsEqualOneShotAndTheSdk(@ForAll @Size(max = 2000) byte[] data,
                                                    @ForAll @IntRange(min = 0, max = 2000) int split,
                                                    @ForAll ChecksumAlgorithm alg) {
        int cut = Math.min(split, data.length);
        IncrementalChecksum whole = alg.newChecksum();
        whole.update(data, 0, data.length);
        IncrementalChecksum pieces = alg.newChecksum();
        pieces.update(data, 0, cut);
        // A little-endian view must not change what is summed.
        pieces.update(ByteBuffer.wrap(data, cut, data.length - cut).slice().order(ByteOrder.LITTLE_ENDIAN));
        byte[] expected = whole.finish();
        assertThat(pieces.finish()).isEqualTo(expected);
        assertThat(expected).hasSize(alg.length());
        if (alg != ChecksumAlgorithm.CRC64NVME) {
            SdkChecksum sdk = SdkChecksum.forAlgorithm(switch (alg) {
                case CRC32 -> DefaultChecksumAlgorithm.CRC32;
                case CRC32C -> DefaultChecksumAlgorithm.CRC32C;
                case SHA1 -> DefaultChecksumAlgorithm.SHA1;
                case SHA256 -> DefaultChecksumAlgorithm.SHA256;
                case CRC64NVME -> throw new AssertionError();
            });
            sdk.update(data, 0, data.length);
            assertThat(expected).isEqualTo(sdk.getChecksumBytes());
        }
    }

    @Property(tries = 100)
    void crc64NvmeIsLinearOverConcatenation(@ForAll @Size(max = 100) byte[] a) {
        // Bit-at-a-time reference implementation, to check the sliced tables.
        long crc = ~0L;
        for (byte b : a) {
            crc ^= b & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9A6C9329AC4BC9B5L : crc >>> 1;
            }
        }
        Crc64Nvme c = new Crc64Nvme();
        c.update(ByteBuffer.wrap(a));
        assertThat(c.value()).isEqualTo(~crc);
    }
}
