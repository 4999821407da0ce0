package io.wcache.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wcache.core.error.WcacheException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValueParsersTest {

    @Test
    void durationsInEveryUnit() {
        assertThat(DurationParser.parse("k", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationParser.parse("k", "1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(DurationParser.parse("k", "10min")).isEqualTo(Duration.ofMinutes(10));
        assertThat(DurationParser.parse("k", "10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(DurationParser.parse("k", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationParser.parse("k", "2d")).isEqualTo(Duration.ofDays(2));
        assertThat(DurationParser.parse("k", " 3 s ")).isEqualTo(Duration.ofSeconds(3));
        assertThat(DurationParser.parse("k", "0")).isEqualTo(Duration.ZERO);
        assertThat(DurationParser.format(Duration.ofMinutes(10))).isEqualTo("10min");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "-1s", "1.5h", "1 hour", "10mins", "s", "1y", "99999999999999999999s"})
    void malformedDurationNamesKeyAndValue(String bad) {
        assertThatThrownBy(() -> DurationParser.parse("worker.mark.writing.files.duration", bad))
                .isInstanceOfSatisfying(WcacheException.InvalidArgument.class,
                        e -> assertThat(e.subject()).isEqualTo("worker.mark.writing.files.duration"))
                .hasMessageContaining("worker.mark.writing.files.duration").hasMessageContaining("'" + bad + "'");
    }

    @Test
    void sizesBinaryAndDecimal() {
        assertThat(ByteSizeParser.parse("k", "512MiB")).isEqualTo(512L << 20);
        assertThat(ByteSizeParser.parse("k", "2TiB")).isEqualTo(2L << 40);
        assertThat(ByteSizeParser.parse("k", "1GB")).isEqualTo(1_000_000_000L);
        assertThat(ByteSizeParser.parse("k", "1.5GiB")).isEqualTo(3L << 29);
        assertThat(ByteSizeParser.parse("k", "4096")).isEqualTo(4096L);
        assertThat(ByteSizeParser.parse("k", "10 kib")).isEqualTo(10240L);
        assertThat(ByteSizeParser.format(20L << 30)).isEqualTo("20GiB");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "512M", "-1GiB", "GiB", "1XB", "1 G i B", "99999PiB"})
    void malformedSizeNamesKeyAndValue(String bad) {
        assertThatThrownBy(() -> ByteSizeParser.parse("cache.capacity", bad))
                .isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("cache.capacity").hasMessageContaining("'" + bad + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9000", "host:", ":9000", "h:70000", "h:x", "::1:9000"})
    void malformedAddressNamesKeyAndValue(String bad) {
        assertThatThrownBy(() -> HostPort.parse("s3.address", bad)).isInstanceOf(WcacheException.InvalidArgument.class)
                .hasMessageContaining("s3.address").hasMessageContaining("'" + bad + "'");
    }

    @Test
    void addressesIncludingIpv6() {
        assertThat(HostPort.parse("k", "127.0.0.1:9000")).isEqualTo(new HostPort("127.0.0.1", 9000));
        assertThat(HostPort.parse("k", "[::1]:0")).isEqualTo(new HostPort("::1", 0));
        assertThat(new HostPort("::1", 5).toString()).isEqualTo("[::1]:5");
    }
}
