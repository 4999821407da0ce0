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

    /** RFC 1123 in GMT, as in {@code Last-Modified} and {@code Date} headers. */
    public static String rfc1123(Instant t) {
        return RFC_1123.format(t);
    }

    /** SigV4's {@code X-Amz-Date} format. */
    public static String amzDate(Instant t) {
        return AMZ_DATE.format(t);
    }

    /** Parses an {@code X-Amz-Date} value; empty when malformed. */
    public static Optional<Instant> parseAmzDate(String s) {
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
