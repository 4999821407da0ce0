package io.wcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.digest.Md5;
import io.wcache.core.error.WcacheException;
import io.wcache.core.path.NamespacePath;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class EtagsTest {

    private static ObjectInfo info(long size, String etag) {
        return new ObjectInfo(NamespacePath.of("/m/k"), size, etag, Instant.EPOCH, null, Map.of(),
                PersistStatus.NOT_PERSISTED, null, 7, List.of());
    }

    /** Serves {@code data}, at most {@code perRead} bytes a read, and records the offsets asked for. */
    private static ObjectReader reader(byte[] data, long size, int perRead, List<Long> offsets) {
        return new ObjectReader() {
            @Override
            public ObjectInfo info() {
                return EtagsTest.info(size, "");
            }

            @Override
            public CompletableFuture<ByteBuffer> read(long offset, int length) {
                offsets.add(offset);
                int from = (int) Math.min(offset, data.length);
                int n = Math.min(Math.min(length, perRead), data.length - from);
                return CompletableFuture.completedFuture(ByteBuffer.wrap(data, from, n).slice());
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void theEtagIsTheMd5OfEveryByteReadInOrderEvenWhenReadsReturnLessThanAsked() {
        byte[] data = new byte[3 * Etags.STEP + 12_345];
        new Random(1).nextBytes(data);
        List<Long> offsets = new ArrayList<>();
        String etag = Etags.md5Of(reader(data, data.length, 300_000, offsets), Runnable::run).join();
        assertThat(etag).isEqualTo(HexFormat.of().formatHex(Md5.newDigest().digest(data)));
        assertThat(offsets).isSorted().doesNotHaveDuplicates().startsWith(0L);
    }

    @Test
    void anObjectThatEndsBeforeItsSizeGivesNoEtag() {
        byte[] data = new byte[1000];
        assertThatThrownBy(() -> Etags.md5Of(reader(data, 5000, 4096, new ArrayList<>()), Runnable::run).join())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(WcacheException.Unavailable.class)
                .hasMessageContaining("ended at byte 1000 of 5000");
    }

    @Test
    void anEmptyObjectHasTheMd5OfNothingAndAKnownEtagIsNotRecomputed() {
        assertThat(Etags.md5Of(reader(new byte[0], 0, 10, new ArrayList<>()), Runnable::run).join())
                .isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
        assertThat(info(3, "abc").etagPending()).isFalse();
        assertThat(info(3, "").etagPending()).isTrue();
        assertThat(info(3, "").withEtag("abc").etag()).isEqualTo("abc");
    }
}
