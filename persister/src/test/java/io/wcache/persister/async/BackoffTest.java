package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofHours(1));

    @Test
    void delayDoublesPerAttemptUpToTheMaximum() {
        assertThat(backoff.nominal(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.nominal(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.nominal(5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(backoff.nominal(12)).isEqualTo(Duration.ofSeconds(2048));
        assertThat(backoff.nominal(13)).isEqualTo(Duration.ofHours(1));
        assertThat(backoff.nominal(10_000)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void jitterStaysWithinTheUpperHalfOfTheNominalDelayAndSpreadsRetries() {
        Random random = new Random(7);
        Set<Long> seen = new HashSet<>();
        for (int attempt = 1; attempt < 40; attempt++) {
            Duration nominal = backoff.nominal(attempt);
            for (int i = 0; i < 50; i++) {
                Duration d = backoff.delay(attempt, random);
                assertThat(d).isBetween(nominal.dividedBy(2), nominal);
                if (attempt == 3) {
                    seen.add(d.toMillis());
                }
            }
        }
        assertThat(seen.size()).isGreaterThan(40);
    }

    @Test
    void aMaximumBelowTheInitialIntervalIsRefused() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(WcacheException.InvalidArgument.class);
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(WcacheException.InvalidArgument.class);
    }
}
