package io.wcache.persister.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The persister's poll runs once a second; a claim that loses a conflict with an upload's mark
 * fails one poll and the next repairs it. Such lone failures were each a WARN in a user's log
 * ("persist_poll_failed ... not_committed" a few times per minute under load).
 */
class FailureStreakTest {

    @Test
    void lonePollFailuresRepairedByTheNextPollAreNotWarnings() {
        FailureStreak streak = new FailureStreak(3, Duration.ofSeconds(10));
        long now = 1_000;
        for (int round = 0; round < 5; round++) {
            assertThat(streak.failed(now)).as("first failure of round %d", round).isFalse();
            assertThat(streak.failed(now + 1_000)).as("second failure of round %d", round).isFalse();
            assertThat(streak.succeeded()).as("a run nobody was warned about ends quietly").isZero();
            now += 3_000;
        }
    }

    @Test
    void aRunOfFailuresWarnsOnceWhenItStartsCountingThenOncePerIntervalAndItsEndIsReported() {
        FailureStreak streak = new FailureStreak(3, Duration.ofSeconds(10));
        long t0 = 50_000;
        assertThat(streak.failed(t0)).isFalse();
        assertThat(streak.failed(t0 + 1_000)).isFalse();
        assertThat(streak.failed(t0 + 2_000)).as("third failure in a row").isTrue();
        assertThat(streak.consecutive()).isEqualTo(3);
        int warned = 0;
        for (long t = t0 + 3_000; t < t0 + 32_000; t += 1_000) {
            if (streak.failed(t)) {
                warned++;
            }
        }
        assertThat(warned).as("29 more failed polls over 29 s: one WARN per 10 s").isEqualTo(2);
        assertThat(streak.succeeded()).as("the success reports the run it ended").isEqualTo(32);
        assertThat(streak.consecutive()).isZero();
        assertThat(streak.failed(t0 + 40_000)).as("a new run starts from one").isFalse();
    }

    @Test
    void warningAfterFewerThanOneFailureIsRefused() {
        assertThatThrownBy(() -> new FailureStreak(0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
