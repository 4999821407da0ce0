package io.wcache.s3.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Combining the CRCs of consecutive pieces gives the CRC of the whole, for every CRC S3 offers. */
class CrcCombineTest {

    static byte[] crc(ChecksumAlgorithm a, byte[] data, int from, int to) {
        IncrementalChecksum c = a.newChecksum();
        c.update(ByteBuffer.wrap(data, from, to - from));
        return c.finish();
    }

    @ParameterizedTest
    @EnumSource(value = ChecksumAlgorithm.class, names = {"CRC32", "CRC32C", "CRC64NVME"})
    void combiningPiecesEqualsTheChecksumOfTheWhole(ChecksumAlgorithm a) {
        Random random = new Random(a.ordinal() * 31L + 7);
        for (int round = 0; round < 200; round++) {
            byte[] data = new byte[random.nextInt(5000)];
            random.nextBytes(data);
            // Cut into up to 6 pieces at random points, empty pieces included.
            int cuts = random.nextInt(6);
            int[] at = new int[cuts + 2];
            at[cuts + 1] = data.length;
            for (int i = 1; i <= cuts; i++) {
                at[i] = random.nextInt(data.length + 1);
            }
            Arrays.sort(at);
            byte[] combined = crc(a, data, at[0], at[1]);
            for (int i = 1; i < at.length - 1; i++) {
                combined = a.combine(combined, crc(a, data, at[i], at[i + 1]), at[i + 1] - at[i]);
            }
            assertThat(combined).as("%s of %d bytes cut at %s", a, data.length, Arrays.toString(at))
                    .isEqualTo(crc(a, data, 0, data.length));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ChecksumAlgorithm.class, names = {"CRC32", "CRC32C", "CRC64NVME"})
    void combinesPiecesOfMebibytes(ChecksumAlgorithm a) {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).nextBytes(data);
        int cut = 2 * 1024 * 1024 + 3;
        byte[] combined = a.combine(crc(a, data, 0, cut), crc(a, data, cut, data.length), data.length - cut);
        assertThat(combined).isEqualTo(crc(a, data, 0, data.length));
    }

    @ParameterizedTest
    @EnumSource(value = ChecksumAlgorithm.class, names = {"CRC32", "CRC32C", "CRC64NVME"})
    void anEmptySecondPieceChangesNothing(ChecksumAlgorithm a) {
        byte[] data = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] whole = crc(a, data, 0, data.length);
        assertThat(a.combine(whole, crc(a, data, 0, 0), 0)).isEqualTo(whole);
    }
}
