package io.wcache.worker.cache;

import static io.wcache.worker.cache.CacheFixture.bytes;
import static io.wcache.worker.cache.CacheFixture.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import io.wcache.worker.TestWorkers;
import io.wcache.worker.Worker;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pinned cap: unpersisted data past it is refused, nothing earlier is harmed, persisting frees room. */
class PinnedCapTest {

    @TempDir
    Path root;

    Worker worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void writesPastThePinnedCapAreRefusedUntilDataIsPersisted() {
        // 32 MiB of cache with a 0.125 pinned ratio: 4 MiB of unpersisted data at most.
        worker = TestWorkers.start(root, "cache.capacity=32MiB", "worker.page.store.pinned.file.capacity.limit.ratio=0.125");
        CacheFixture f = new CacheFixture(worker);
        byte[] mib = bytes(1024 * 1024, 1);
        int accepted = 0;
        WcacheException refusal = null;
        for (int i = 0; i < 10 && refusal == null; i++) {
            try {
                f.write("/m/cap/" + i, bytes(1024 * 1024, i));
                accepted++;
            } catch (WcacheException e) {
                refusal = e;
            }
        }
        assertThat(accepted).isEqualTo(4);
        assertThat(refusal).isInstanceOf(WcacheException.OutOfSpace.class);
        assertThat(((WcacheException.OutOfSpace) refusal).retryAfter()).isPositive();
        assertThat(f.cache.stat(p("/m/cap/4")).join()).as("the refused write is not visible").isEmpty();
        for (int i = 0; i < accepted; i++) {
            assertThat(f.read("/m/cap/" + i)).isEqualTo(bytes(1024 * 1024, i));
        }
        assertThat(worker.logStore().stats().pinnedBytes()).isEqualTo(4L * mib.length);
        assertThat(worker.catalog().cluster().spaceUsage(worker.options().workerId()).pinnedBytes()).isEqualTo(4L * mib.length);
        assertThatThrownBy(() -> f.write("/m/cap/again", mib)).isInstanceOf(WcacheException.OutOfSpace.class);

        f.drain();
        assertThat(worker.logStore().stats().pinnedBytes()).isZero();
        assertThat(worker.catalog().cluster().spaceUsage(worker.options().workerId()).pinnedBytes()).isZero();
        f.write("/m/cap/again", mib);
        assertThat(f.read("/m/cap/again")).isEqualTo(mib);
        for (int i = 0; i < accepted; i++) {
            assertThat(f.read("/m/cap/" + i)).isEqualTo(bytes(1024 * 1024, i));
        }
    }
}
