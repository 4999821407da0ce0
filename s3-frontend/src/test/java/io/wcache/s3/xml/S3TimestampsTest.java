package io.wcache.s3.xml;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code X-Amz-Date} parsing and RFC 1123 formatting: the digit-by-digit reading and writing answer
 * exactly what the formatter answers.
 */
class S3TimestampsTest {

    @Test
    void wellFormedDatesParseAsTheFormatterParsesThem() {
        SplittableRandom rnd = new SplittableRandom(19);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(rnd.nextLong(-62_000_000_000L, 253_000_000_000L));
            String s = S3Timestamps.amzDate(t);
            if (s.length() != 16) {
                continue;
            }
            assertThat(S3Timestamps.parseAmzDate(s)).as(s).contains(t).isEqualTo(S3Timestamps.parseAmzDateWithFormatter(s));
        }
    }

    @Test
    void oddAndMalformedValuesAnswerAsTheFormatterDoes() {
        for (String s : List.of("20240229T235959Z", "20230229T000000Z", "20240230T120000Z", "20241231T240000Z",
                "20240101T236000Z", "20240101T000060Z", "20241301T000000Z", "20240100T000000Z", "00000101T000000Z",
                "00010101T000000Z", "99991231T235959Z", "2024010 T000000Z", "20240101t000000Z", "20240101T000000z",
                "20240101T00000Z", "20240101T0000000Z", "-2024010T000000Z", "+2024010T000000Z", "2024-1-1T000000Z",
                "202401O1T000000Z", "20240101T000000\u0661", "\u0662\u0660\u0662\u06640101T000000Z", "")) {
            assertThat(S3Timestamps.parseAmzDate(s)).as(s).isEqualTo(S3Timestamps.parseAmzDateWithFormatter(s));
        }
        assertThat(S3Timestamps.parseAmzDate(null)).isEqualTo(Optional.empty());
        assertThat(S3Timestamps.parseAmzDate("20240229T235959Z")).contains(Instant.parse("2024-02-29T23:59:59Z"));
        assertThat(S3Timestamps.parseAmzDate("20241301T000000Z")).isEmpty();
    }

    @Test
    void headerDatesAreWhatTheFormatterWrites() {
        java.time.format.DateTimeFormatter formatter = java.time.format.DateTimeFormatter
                .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.ROOT).withZone(java.time.ZoneOffset.UTC);
        SplittableRandom rnd = new SplittableRandom(23);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(rnd.nextLong(-62_000_000_000L, 253_000_000_000L), rnd.nextInt(1_000_000_000));
            assertThat(S3Timestamps.rfc1123(t)).as(t.toString()).isEqualTo(formatter.format(t));
        }
        for (String s : List.of("1970-01-01T00:00:00Z", "2024-02-29T23:59:59.999Z", "2000-03-01T09:05:07Z",
                "0999-12-31T23:59:59Z", "1000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")) {
            Instant t = Instant.parse(s);
            assertThat(S3Timestamps.rfc1123(t)).as(s).isEqualTo(formatter.format(t));
            assertThat(S3Timestamps.rfc1123(t)).as("the same second again").isEqualTo(formatter.format(t));
        }
        assertThat(S3Timestamps.rfc1123(Instant.parse("2009-10-12T17:50:30Z"))).isEqualTo("Mon, 12 Oct 2009 17:50:30 GMT");
    }
}
