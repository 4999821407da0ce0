package io.wcache.core.config;

import io.wcache.core.error.WcacheException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses configuration durations: a non-negative whole number and a unit, {@code 500ms},
 * {@code 1s}, {@code 10min}, {@code 1h}, {@code 2d} ({@code sec}, {@code m} and {@code day}
 * are accepted too). A bare number is refused except {@code 0}: the unit is never guessed.
 */
public final class DurationParser {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    private DurationParser() {
    }

    /** @throws WcacheException.InvalidArgument naming {@code key} and {@code value} */
    public static Duration parse(String key, String value) {
        String v = value == null ? "" : value.trim();
        Matcher m = FORM.matcher(v);
        if (!m.matches()) {
            throw bad(key, value);
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw bad(key, value);
        }
        String unit = m.group(2).toLowerCase(java.util.Locale.ROOT);
        try {
            return switch (unit) {
                case "" -> {
                    if (n != 0) {
                        throw bad(key, value);
                    }
                    yield Duration.ZERO;
                }
                case "ms" -> Duration.ofMillis(n);
                case "s", "sec" -> Duration.ofSeconds(n);
                case "m", "min" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d", "day", "days" -> Duration.ofDays(n);
                default -> throw bad(key, value);
            };
        } catch (ArithmeticException e) {
            throw new WcacheException.InvalidArgument(key, "config key '" + key + "': duration '" + value + "' is too large");
        }
    }

    /** Formats a duration in the largest unit that represents it exactly. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    private static WcacheException.InvalidArgument bad(String key, String value) {
        return new WcacheException.InvalidArgument(key, "config key '" + key + "': '" + value
                + "' is not a duration (a whole number and a unit: 500ms, 1s, 10min, 1h, 2d)");
    }
}
