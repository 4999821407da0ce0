package io.wcache.s3.xml;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

/**
 * The timestamp formats of the S3 protocol: ISO-8601 with milliseconds in XML bodies
 * ({@code 2009-10-12T17:50:30.000Z}), RFC 1123 in HTTP headers
 * ({@code Mon, 12 Oct 2009 17:50:30 GMT}), and SigV4's basic format ({@code 20091012T175030Z}).
 */
public final class S3Timestamps {
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC_1123 =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private S3Timestamps() {
    }

    /** ISO-8601 UTC with exactly three fraction digits, as S3 writes {@code LastModified}. */
    public static String iso8601(Instant t) {
        return ISO_MILLIS.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
        "Nov", "Dec"};

    /** The last second formatted by {@link #rfc1123}: every response's Date header, and a fresh object's Last-Modified. */
    private record FormattedSecond(long epochSecond, String text) {
    }

    private static volatile FormattedSecond lastRfc1123 = new FormattedSecond(Long.MIN_VALUE, "");

    /**
     * RFC 1123 in GMT, as in {@code Last-Modified} and {@code Date} headers. Written field by field
     * and remembered for the second: the formatter was a twentieth of the event loop's CPU for a
     * PUT and a GET.
     */
    public static String rfc1123(Instant t) {
        long second = t.getEpochSecond();
        FormattedSecond last = lastRfc1123;
        if (last.epochSecond() == second) {
            return last.text();
        }
        String text = formatRfc1123(second);
        lastRfc1123 = new FormattedSecond(second, text);
        return text;
    }

    static String formatRfc1123(long epochSecond) {
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        int year = d.getYear();
        if (year < 1000 || year > 9999) {
            return RFC_1123.format(Instant.ofEpochSecond(epochSecond));
        }
        StringBuilder b = new StringBuilder(29);
        b.append(DAYS[d.getDayOfWeek().ordinal()]).append(", ");
        twoDigits(b, d.getDayOfMonth()).append(' ').append(MONTHS[d.getMonthValue() - 1]).append(' ').append(year).append(' ');
        twoDigits(b, d.getHour()).append(':');
        twoDigits(b, d.getMinute()).append(':');
        twoDigits(b, d.getSecond()).append(" GMT");
        return b.toString();
    }

    private static StringBuilder twoDigits(StringBuilder b, int v) {
        return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    /** SigV4's {@code X-Amz-Date} format. */
    public static String amzDate(Instant t) {
        return AMZ_DATE.format(t);
    }

    /**
     * Parses an {@code X-Amz-Date} value; empty when malformed. Every signed request carries one:
     * a well-formed value is read digit by digit (the formatter's parse was a twelfth of the event
     * loop's CPU for a 10 KiB PUT); anything else goes through the formatter, which decides as before.
     */
    public static Optional<Instant> parseAmzDate(String s) {
        if (s == null || s.length() != 16) {
            return Optional.empty();
        }
        if (s.charAt(8) == 'T' && s.charAt(15) == 'Z') {
            int year = digits(s, 0, 4);
            int month = digits(s, 4, 2);
            int day = digits(s, 6, 2);
            int hour = digits(s, 9, 2);
            int minute = digits(s, 11, 2);
            int second = digits(s, 13, 2);
            if (year > 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0) {
                try {
                    return Optional.of(java.time.LocalDateTime.of(year, month, day, hour, minute, second)
                            .toInstant(ZoneOffset.UTC));
                } catch (java.time.DateTimeException e) {
                    // Out of range (a 30th of February, hour 24): the formatter's resolution decides.
                }
            }
        }
        return parseAmzDateWithFormatter(s);
    }

    /** The ASCII digits {@code s[from, from + n)} as a number, or -1 if any is not a digit. */
    private static int digits(String s, int from, int n) {
        int v = 0;
        for (int i = from; i < from + n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** {@link #parseAmzDate} by the formatter alone (tests compare the two). */
    static Optional<Instant> parseAmzDateWithFormatter(String s) {
        if (s == null || s.length() != 16) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.from(AMZ_DATE.parse(s)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses an HTTP date header (RFC 1123, the form every current client sends); empty when
     * malformed, since HTTP says an unparseable conditional date is ignored.
     */
    public static Optional<Instant> parseHttpDate(String s) {
        return io.wcache.core.cache.StandardHeaders.httpDate(s);
    }
}
