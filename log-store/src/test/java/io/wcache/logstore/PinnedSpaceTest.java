package io.wcache.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.logstore.space.PinnedReservation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedSpaceTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private LogStore open() {
        // 10 MiB of capacity at the default ratio 0.3: 3 MiB of pinned bytes
        LogStore store = LogStore.open(TestData.config(dir, 10 * MIB, MIB), ExtentRelocator.NONE);
        store.restore(List.of());
        return store;
    }

    @Test
    void reservationPastThePinnedCapIsRefusedAndHarmsNothing() {
        try (LogStore store = open()) {
            assertThat(store.stats().pinnedCapBytes()).isEqualTo((long) (10 * MIB * 0.3));
            PinnedReservation first = store.reservePinned(2 * MIB);
            Location written = store.appendPinned(first, 1, 0, TestData.heap(1, (int) MIB));
            store.sync();

            assertThatThrownBy(() -> store.reservePinned(2 * MIB))
                    .isInstanceOfSatisfying(WcacheException.OutOfSpace.class, e -> {
                        assertThat(e.retryAfter()).isPositive();
                        assertThat(e.subject()).isEqualTo("pinned");
                    });
            LogStoreStats s = store.stats();
            assertThat(s.pinnedBytes()).isEqualTo(MIB);
            assertThat(s.pinnedReservedBytes()).isEqualTo(MIB);
            assertThat(TestData.array(store.read(written))).isEqualTo(TestData.bytes(1, (int) MIB));

            // an aborted write returns its unconsumed reservation
            first.close();
            first.close();
            assertThat(store.stats().pinnedReservedBytes()).isZero();
            store.reservePinned(2 * MIB).close();
        }
    }

    @Test
    void appendPastReservationReservesTheShortfallOrFailsWithoutWriting() {
        try (LogStore store = open()) {
            PinnedReservation r = store.reservePinned(1000);
            store.appendPinned(r, 1, 0, TestData.heap(1, 1500));
            assertThat(r.remaining()).isZero();
            assertThat(store.stats().pinnedBytes()).isEqualTo(1500);
            assertThat(store.stats().pinnedReservedBytes()).isZero();

            PinnedReservation big = store.reservePinned(3 * MIB - 1500 - 100);
            long appendsBefore = store.stats().appends();
            assertThatThrownBy(() -> store.append(List.of(
                    Chunk.pinned(big, 2, 0, TestData.heap(2, (int) MIB)),
                    Chunk.pinned(big, 2, MIB, TestData.heap(3, (int) (2 * MIB))))))
                    .isInstanceOf(WcacheException.OutOfSpace.class);
            assertThat(store.stats().appends()).as("nothing of the refused batch was written").isEqualTo(appendsBefore);
            assertThat(big.remaining()).isEqualTo(3 * MIB - 1500 - 100);
            assertThat(store.stats().pinnedReservedBytes()).isEqualTo(3 * MIB - 1500 - 100);
            big.close();
        }
    }

    @Test
    void markingPersistedMovesBytesFromPinnedToEvictableAndFreesQuota() {
        try (LogStore store = open()) {
            PinnedReservation r = store.reservePinned(3 * MIB);
            Location a = store.appendPinned(r, 1, 0, TestData.heap(1, (int) (2 * MIB)));
            Location b = store.appendPinned(r, 1, 2 * MIB, TestData.heap(2, (int) MIB));
            r.close();
            assertThatThrownBy(() -> store.reservePinned(1)).isInstanceOf(WcacheException.OutOfSpace.class);

            assertThat(store.markPersisted(a)).isTrue();
            assertThat(store.markPersisted(a)).as("already evictable").isFalse();
            assertThat(store.regionOf(a)).isEqualTo(Region.EVICTABLE);
            assertThat(store.regionOf(b)).isEqualTo(Region.PINNED);
            LogStoreStats s = store.stats();
            assertThat(s.pinnedBytes()).isEqualTo(MIB);
            assertThat(s.evictableBytes()).isEqualTo(2 * MIB);
            store.reservePinned(2 * MIB).close();

            assertThat(store.release(b)).isTrue();
            assertThat(store.release(b)).isFalse();
            assertThat(store.stats().pinnedBytes()).isZero();
        }
    }

    @Test
    void negativeReservationIsInvalid() {
        try (LogStore store = open()) {
            assertThatThrownBy(() -> store.reservePinned(-1)).isInstanceOf(WcacheException.InvalidArgument.class);
        }
    }

    @Test
    void fullDirectoryRefusesAppendsWithOutOfSpace() {
        try (LogStore store = LogStore.open(TestData.config(dir, 200_000, 64 << 10), ExtentRelocator.NONE)) {
            // not restored: nothing may be reclaimed, so the directory really is full
            for (int i = 0; i < 5; i++) {
                store.appendEvictable(1, i, TestData.heap(i, 30_000));
            }
            assertThatThrownBy(() -> store.appendEvictable(1, 9, TestData.heap(9, 60_000)))
                    .isInstanceOf(WcacheException.OutOfSpace.class);
        }
    }

    @Test
    void invalidConfigurationIsRejected() {
        assertThatThrownBy(() -> LogStoreConfig.of(dir, 0)).isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> LogStoreConfig.of(dir, MIB).withPinnedRatio(1.5))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> LogStoreConfig.of(dir, MIB).withWatermarks(0.9, 0.8))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> LogStoreConfig.of(List.of())).isInstanceOf(WcacheException.InvalidArgument.class);
    }
}
