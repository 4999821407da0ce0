package io.wcache.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TtlCacheTest {

    @Test
    void aLoadThatRacedAnInvalidationIsNotKept() {
        AtomicInteger loads = new AtomicInteger();
        AtomicReference<TtlCache<Integer>> self = new AtomicReference<>();
        TtlCache<Integer> r = new TtlCache<>(() -> {
            int n = loads.incrementAndGet();
            if (n == 1) {
                self.get().invalidate(); // a change lands while the first load reads the old value
            }
            return n;
        }, 60_000_000_000L);
        self.set(r);

        assertThat(r.get()).isEqualTo(1);
        assertThat(r.fresh()).as("the raced load is not kept").isNull();
        assertThat(r.get()).isEqualTo(2);
        assertThat(r.get()).as("kept until the ttl or the next invalidation").isEqualTo(2);
        assertThat(loads).hasValue(2);
        r.invalidate();
        assertThat(r.fresh()).isNull();
        assertThat(r.get()).isEqualTo(3);
    }
}
